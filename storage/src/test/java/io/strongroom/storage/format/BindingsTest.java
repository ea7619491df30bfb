package io.strongroom.storage.format;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.crypto.AssociatedData;
import org.junit.jupiter.api.Test;

/** The associated data the store binds are a format: the fast paths must give the same bytes as the plain ones. */
class BindingsTest {
    @Test
    void blockKeysTemplate_givesTheBlockKeyBindingByteForByte() {
        for (String store : new String[] {"s", "rotbench", "a store id with ünïcode"}) {
            for (long table : new long[] {1, 42, Long.MAX_VALUE}) {
                AssociatedData.Template t = Bindings.blockKeys(store, table);
                int[][] cases = {{0, 0, 1, 1}, {3, 1, 1_000_000, 2}, {Integer.MAX_VALUE, 4095, 77, Integer.MAX_VALUE}};
                for (int[] c : cases) {
                    AssociatedData plain = Bindings.blockKey(store, table, c[0], c[1], c[2], c[3]);
                    AssociatedData fast = t.with(c[0], c[1], c[2], c[3]);
                    assertThat(fast.encoded()).isEqualTo(plain.encoded());
                    assertThat(fast).hasToString(plain.toString());
                }
            }
        }
    }
}
