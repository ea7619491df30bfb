package io.strongroom.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.strongroom.base.StrongroomException;
import io.strongroom.testkit.fuzz.Fuzz;
import io.strongroom.testkit.fuzz.FuzzInput;
import io.strongroom.testkit.fuzz.Generator;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Fuzz targets for the envelope's open paths (docs/security.md, "Fuzzing"): for any bytes, opening either returns
 * a plaintext or throws {@link StrongroomException}; an encrypted envelope opens only when it is byte for byte one
 * that was sealed (GCM's authenticity, checked against the corpus); an unencrypted one that opens re-seals to the
 * same bytes. Seeds: {@code src/test/resources/fuzz/envelope-*}, written by {@link #writeCorpus}.
 */
class EnvelopeFuzzTest {
    private static final AssociatedData AD = AssociatedData.of("strongroom/fuzz/v1")
            .with("table", "t1")
            .with("block", 7)
            .build();

    /** The fixed key the encrypted seeds were sealed under (a test key: 32 bytes of 0x42). */
    private static BlockKey fuzzKey() {
        byte[] m = new byte[AeadKey.KEY_BYTES];
        Arrays.fill(m, (byte) 0x42);
        return BlockKey.ofMaterial(SecretBytes.copyOf(m));
    }

    private static final List<byte[]> PLAINTEXTS = List.of(
            new byte[0],
            "x".getBytes(StandardCharsets.UTF_8),
            "hello, warehouse".getBytes(StandardCharsets.UTF_8),
            new byte[300]);

    private Generator<FuzzInput> unencrypted() {
        return Fuzz.inputs(Fuzz.corpus(getClass(), "envelope-unencrypted"), 4096);
    }

    private Generator<FuzzInput> encrypted() {
        return Fuzz.inputs(Fuzz.corpus(getClass(), "envelope-encrypted"), 4096);
    }

    @Test
    void openUnencrypted_returnsOrThrowsTyped_andWhatOpensReseals() {
        Fuzz.run("crypto.envelope.unencrypted", 3000, unencrypted(), this::checkOpenUnencrypted);
    }

    /**
     * The same, on mutated envelopes whose checksum is then made right again: random mutations almost never pass
     * the CRC, so this reaches the checks behind it (the fields the layout says are zero when unencrypted).
     */
    @Test
    void openUnencrypted_ofRechecksummedInput_onlyAcceptsCanonicalEnvelopes() {
        Fuzz.run(
                "crypto.envelope.unencrypted-rechecksummed",
                3000,
                unencrypted(),
                this::checkOpenUnencryptedRechecksummed);
    }

    @Test
    void decrypt_returnsOrThrowsTyped_andOnlyOpensWhatWasSealed() {
        Fuzz.run("crypto.envelope.encrypted", 3000, encrypted(), this::checkDecrypt);
    }

    private void checkOpenUnencrypted(FuzzInput in) {
        byte[] env = in.bytes();
        Fuzz.decodes(() -> Envelope.openUnencrypted(AD, env, 0, env.length), StrongroomException.class)
                .ifPresent(plain -> assertThat(Envelope.sealUnencrypted(AD, plain, 0, plain.length))
                        .as("an unencrypted envelope that opens is exactly what sealing its payload gives")
                        .isEqualTo(env));
    }

    private void checkOpenUnencryptedRechecksummed(FuzzInput in) {
        byte[] env = rechecksum(in.bytes());
        Fuzz.decodes(() -> Envelope.openUnencrypted(AD, env, 0, env.length), StrongroomException.class)
                .ifPresent(plain -> assertThat(Envelope.sealUnencrypted(AD, plain, 0, plain.length))
                        .as("an unencrypted envelope that opens is exactly what sealing its payload gives")
                        .isEqualTo(env));
    }

    private void checkDecrypt(FuzzInput in) {
        byte[] env = in.bytes();
        try (BlockKey key = fuzzKey()) {
            Fuzz.decodes(() -> key.decrypt(AD, env, 0, env.length), StrongroomException.class)
                    .ifPresent(plain -> assertThat(Fuzz.corpus(getClass(), "envelope-encrypted"))
                            .as("only an envelope that was sealed under the key opens")
                            .anySatisfy(seed -> assertThat(seed).isEqualTo(env)));
        }
    }

    /** Every corpus file, regressions included, runs through its targets on every test run, not only when drawn. */
    @Test
    void corpus_everySeedHoldsItsProperties() {
        for (byte[] seed : Fuzz.corpus(getClass(), "envelope-unencrypted")) {
            checkOpenUnencrypted(new FuzzInput(seed, "corpus"));
            checkOpenUnencryptedRechecksummed(new FuzzInput(seed, "corpus"));
        }
        for (byte[] seed : Fuzz.corpus(getClass(), "envelope-encrypted")) {
            checkDecrypt(new FuzzInput(seed, "corpus"));
        }
    }

    /**
     * Found by the rechecksummed target: an unencrypted envelope whose key version field reads 16777216, with a
     * valid checksum, opened (the layout says the field is 0 when unencrypted).
     */
    private static final String REGRESSION_NONZERO_KEY_VERSION =
            "010000000100000000000000000000000000000000000000ce1fc2a79a045e3c000000000000000000000000f9d6c957";

    /** The CRC32C trailer over header, associated data and payload, recomputed for whatever the bytes hold. */
    private static byte[] rechecksum(byte[] env) {
        if (env.length < Envelope.checksummedOverhead()) {
            return env;
        }
        int n = env.length - Envelope.CRC_BYTES;
        CRC32C crc = new CRC32C();
        crc.update(env, 0, Envelope.HEADER_BYTES);
        crc.update(AD.encoded());
        crc.update(env, Envelope.HEADER_BYTES, n - Envelope.HEADER_BYTES);
        byte[] out = env.clone();
        Envelope.writeInt(out, n, (int) crc.getValue());
        return out;
    }

    /** Regenerates the seed files: {@code mvn -pl crypto test -Dtest=EnvelopeFuzzTest -Dstrongroom.fuzz.writeCorpus=true}. */
    @Test
    @EnabledIfSystemProperty(named = Fuzz.WRITE_CORPUS_PROPERTY, matches = "true")
    void writeCorpus() {
        try (BlockKey key = fuzzKey()) {
            for (int i = 0; i < PLAINTEXTS.size(); i++) {
                byte[] p = PLAINTEXTS.get(i);
                Fuzz.writeSeed(
                        "envelope-unencrypted", "seed-" + i + ".bin", Envelope.sealUnencrypted(AD, p, 0, p.length));
                Fuzz.writeSeed("envelope-encrypted", "seed-" + i + ".bin", key.encrypt(AD, p, 0, p.length));
            }
            Fuzz.writeSeed(
                    "envelope-unencrypted",
                    "regression-nonzero-key-version.bin",
                    rechecksum(HexFormat.of().parseHex(REGRESSION_NONZERO_KEY_VERSION)));
        }
    }
}
