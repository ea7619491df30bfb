package io.strongroom.bench;

import io.strongroom.crypto.AssociatedData;
import io.strongroom.crypto.BlockKey;
import io.strongroom.crypto.CryptoProvider;
import io.strongroom.crypto.Envelope;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Block encryption and decryption MB/s (Strongroom's block path: fresh block key, key commitment, bound
 * associated data, AES-256-GCM) against raw AES-256-GCM of the same provider on the same 1 MiB buffers, with a
 * fresh key per block on both sides, interleaved round by round; then {@code openssl speed} on this machine.
 */
public final class CryptoThroughput {
    private static final int MIB = 1024 * 1024;

    private CryptoThroughput() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int blocks = 256;
        SecureRandom random = new SecureRandom();
        byte[][] buffers = new byte[16][MIB];
        for (byte[] b : buffers) {
            random.nextBytes(b);
        }
        CryptoProvider provider = CryptoProvider.get();
        System.out.println("provider: " + provider.report());
        provider.warmUp(Duration.ofSeconds(30));
        Cipher raw = provider.newRawGcmCipher();
        byte[][] keys = new byte[16][32];
        for (byte[] k : keys) {
            random.nextBytes(k);
        }
        byte[] out = new byte[MIB + 16];
        byte[] back = new byte[MIB];
        byte[] fileBuffer = new byte[MIB + Envelope.encryptedOverhead()];
        AssociatedData ad = AssociatedData.of("strongroom/block/v1")
                .with("store", "bench")
                .with("table", 1)
                .with("block", 1)
                .build();
        // Warm both paths before measuring.
        for (int i = 0; i < 300; i++) {
            rawEncrypt(raw, keys[i & 15], buffers[i & 15], out, random);
            try (BlockKey k = BlockKey.generate(random)) {
                byte[] env = k.encrypt(ad, buffers[i & 15], 0, MIB);
                k.decrypt(ad, env, 0, env.length);
            }
        }
        double[] rawEnc = new double[rounds];
        double[] rawDec = new double[rounds];
        double[] ourEnc = new double[rounds];
        double[] ourDec = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            byte[][] ivs = new byte[blocks][];
            byte[][] cts = new byte[blocks][];
            for (int i = 0; i < blocks; i++) {
                ivs[i] = rawEncrypt(raw, keys[i & 15], buffers[i & 15], out, random);
                if (i < 16) {
                    cts[i] = out.clone();
                }
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < blocks; i++) {
                raw.init(
                        Cipher.DECRYPT_MODE,
                        new SecretKeySpec(keys[i & 15], "AES"),
                        new GCMParameterSpec(128, ivs[i & 15]));
                raw.doFinal(cts[i & 15], 0, MIB + 16, back, 0);
            }
            long t2 = System.nanoTime();
            // The store's block path: a fresh block key (random, with its commitment), the envelope written into
            // a reused file buffer; decryption into a reused buffer.
            BlockKey[] bks = new BlockKey[16];
            byte[][] envs = new byte[16][MIB + Envelope.encryptedOverhead()];
            for (int i = 0; i < blocks; i++) {
                BlockKey k = BlockKey.generate(random);
                k.encryptInto(ad, buffers[i & 15], 0, MIB, i < 16 ? envs[i] : fileBuffer, 0);
                if (i < 16) {
                    bks[i] = k;
                } else {
                    k.close();
                }
            }
            long t3 = System.nanoTime();
            for (int i = 0; i < blocks; i++) {
                bks[i & 15].decryptInto(ad, envs[i & 15], 0, envs[i & 15].length, back, 0);
            }
            long t4 = System.nanoTime();
            for (BlockKey k : bks) {
                k.close();
            }
            double mb = (double) blocks * MIB / 1e6;
            rawEnc[r] = mb / ((t1 - t0) / 1e9);
            rawDec[r] = mb / ((t2 - t1) / 1e9);
            ourEnc[r] = mb / ((t3 - t2) / 1e9);
            ourDec[r] = mb / ((t4 - t3) / 1e9);
        }
        System.out.printf(
                "1 MiB blocks, %d rounds of %d blocks, one thread, fresh key per block; MB/s median [min..max]%n",
                rounds, blocks);
        System.out.printf("  raw AES-256-GCM encrypt:        %s%n", Stats.range(rawEnc));
        System.out.printf(
                "  Strongroom block encrypt:       %s   ratio %.3f%n",
                Stats.range(ourEnc), Stats.median(ourEnc) / Stats.median(rawEnc));
        System.out.printf("  raw AES-256-GCM decrypt:        %s%n", Stats.range(rawDec));
        System.out.printf(
                "  Strongroom block decrypt:       %s   ratio %.3f%n",
                Stats.range(ourDec), Stats.median(ourDec) / Stats.median(rawDec));
        double sslEnc = openssl(false);
        double sslDec = openssl(true);
        if (sslEnc > 0) {
            System.out.printf(
                    "  openssl speed -evp aes-256-gcm (1 MiB): encrypt %,.0f MB/s, decrypt %,.0f MB/s%n",
                    sslEnc, sslDec);
            System.out.printf(
                    "  Strongroom / openssl: encrypt %.3f, decrypt %.3f%n",
                    Stats.median(ourEnc) / sslEnc, Stats.median(ourDec) / sslDec);
        } else {
            System.out.println("  openssl not found: no native comparison");
        }
    }

    private static byte[] rawEncrypt(Cipher c, byte[] key, byte[] in, byte[] out, SecureRandom random)
            throws Exception {
        byte[] iv = new byte[12];
        random.nextBytes(iv);
        c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, iv));
        c.doFinal(in, 0, in.length, out, 0);
        return iv;
    }

    /** MB/s (10^6 bytes) that {@code openssl speed} reports for 1 MiB blocks, or -1 without openssl. */
    private static double openssl(boolean decrypt) {
        List<String> cmd = new ArrayList<>(
                List.of("openssl", "speed", "-seconds", "2", "-bytes", Integer.toString(MIB), "-evp", "aes-256-gcm"));
        if (decrypt) {
            cmd.add(2, "-decrypt");
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            double best = -1;
            Pattern line = Pattern.compile("^aes-256-gcm\\s+([0-9.]+)k", Pattern.CASE_INSENSITIVE);
            try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String s;
                while ((s = r.readLine()) != null) {
                    Matcher m = line.matcher(s.trim());
                    if (m.find()) {
                        best = Double.parseDouble(m.group(1)) * 1000 / 1e6;
                    }
                }
            }
            p.waitFor();
            return best;
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }
}
