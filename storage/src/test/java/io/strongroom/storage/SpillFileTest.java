package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpillFileTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void chunks_readBackInOrder_areSealed_andTamperingIsDetected(boolean encrypted) throws Exception {
        StoreKeys keys = encrypted ? StoreKeys.of(Fixtures.dek((byte) 4)) : StoreKeys.unencrypted();
        try (Store store = Store.create(dir, "spill", new ClusterLayout(1, 1), keys)) {
            Path file;
            try (SpillFile spill = store.newSpillFile()) {
                file = spill.path();
                for (int i = 0; i < 50; i++) {
                    byte[] b = ("chunk number " + i + " secret-ish payload").getBytes(StandardCharsets.UTF_8);
                    spill.write(b, 0, b.length);
                }
                List<String> back = new ArrayList<>();
                spill.read().forEachRemaining(b -> back.add(new String(b, StandardCharsets.UTF_8)));
                assertThat(back).hasSize(50).startsWith("chunk number 0 secret-ish payload");
                byte[] raw = Files.readAllBytes(file);
                assertThat(new String(raw, StandardCharsets.ISO_8859_1).contains("secret-ish"))
                        .isEqualTo(!encrypted);
                raw[raw.length - 7] ^= 1;
                Files.write(file, raw);
                Iterator<byte[]> it = spill.read();
                assertThatThrownBy(() -> {
                            while (it.hasNext()) {
                                it.next();
                            }
                        })
                        .isInstanceOfSatisfying(StrongroomException.class, e -> {
                            assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE);
                            assertThat(e.getMessage())
                                    .contains(file.getFileName().toString());
                        });
            }
            assertThat(file).doesNotExist();
        }
    }
}
