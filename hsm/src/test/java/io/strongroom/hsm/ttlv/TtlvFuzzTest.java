package io.strongroom.hsm.ttlv;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.hsm.kmip.KmipCodec;
import io.strongroom.hsm.kmip.KmipGoldenTest;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Random mutations and truncations of valid messages: the codec and the message decoders either decode or throw
 * {@link TtlvException}, never anything else, and the stream reader never allocates beyond its cap. Prints its
 * seed; replay with {@code -Dstrongroom.fuzz.seed=N}.
 */
class TtlvFuzzTest {
    @Test
    void mutatedMessages_onlyEverFailWithTtlvException() throws Exception {
        long seed = Long.getLong("strongroom.fuzz.seed", System.nanoTime());
        System.out.println("TtlvFuzzTest seed " + seed);
        Random random = new Random(seed);
        List<byte[]> corpus = KmipGoldenTest.corpus();
        int decoded = 0;
        for (int round = 0; round < 20_000; round++) {
            byte[] base = corpus.get(random.nextInt(corpus.size()));
            byte[] m = mutate(base, random);
            try {
                if (random.nextBoolean()) {
                    KmipCodec.decodeRequest(m);
                } else {
                    KmipCodec.decodeResponse(m);
                }
                decoded++;
            } catch (TtlvException expected) {
                assertThat(expected.getMessage()).isNotBlank();
            } catch (RuntimeException e) {
                throw new AssertionError("seed " + seed + " round " + round + ": " + TtlvCodec.hex(m), e);
            }
            try {
                byte[] framed = new TtlvReader(new ByteArrayInputStream(m), 4096).next();
                assertThat(framed == null ? 0 : framed.length).isLessThanOrEqualTo(4096);
            } catch (TtlvException | EOFException expected) {
                // refused before allocating, or the stream ended early
            }
        }
        assertThat(decoded).as("some mutations keep a valid message").isPositive();
    }

    private static byte[] mutate(byte[] base, Random random) {
        byte[] m = base.clone();
        switch (random.nextInt(5)) {
            case 0 -> m[random.nextInt(m.length)] ^= (byte) (1 << random.nextInt(8));
            case 1 -> m = Arrays.copyOf(m, random.nextInt(m.length));
            case 2 -> {
                int at = random.nextInt(m.length / 8) * 8 + 4 + random.nextInt(4);
                m[at] = (byte) random.nextInt(256);
            }
            case 3 -> {
                for (int k = 0; k < 1 + random.nextInt(8); k++) {
                    m[random.nextInt(m.length)] = (byte) random.nextInt(256);
                }
            }
            default -> {
                // a header rewritten to another type
                int at = random.nextInt(m.length / 8) * 8 + 3;
                m[at] = (byte) (1 + random.nextInt(11));
            }
        }
        return m;
    }
}
