package io.strongroom.bench;

import io.strongroom.aws.Credential;
import io.strongroom.aws.SigV4;
import io.strongroom.crypto.CryptoProvider;
import io.strongroom.kms.KmsServer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;

/**
 * GenerateDataKey and Decrypt throughput of the KMS over loopback HTTP, signatures verified and every call
 * audited, with N concurrent clients; prints requests per second and p99 latency per N.
 *
 * <p>Usage: {@code KmsThroughputBench [--clients 1,2,4,8,16] [--seconds 5] [--mode raw|sdk]}. Mode {@code
 * raw} uses keep-alive sockets sending SigV4-signed requests (a signed request is reused within the second its
 * X-Amz-Date names, as the signature would be identical), so nearly all CPU goes to the server; mode {@code
 * sdk} uses one AWS SDK KmsClient per client thread, which costs the client side much more. Client and server
 * share the machine, so the numbers are a lower bound for the server alone.
 */
public final class KmsThroughputBench {
    private static final Map<String, String> CTX = Map.of(
            "aws:redshift:arn", "arn:aws:redshift:us-east-1:000000000000:cluster:bench",
            "aws:redshift:createtime", "20250301T1159Z");

    private KmsThroughputBench() {}

    public static void main(String[] args) throws Exception {
        int[] clients = {1, 2, 4, 8, 16};
        int seconds = 5;
        String mode = "raw";
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--clients" ->
                    clients = Arrays.stream(args[i + 1].split(","))
                            .mapToInt(Integer::parseInt)
                            .toArray();
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--mode" -> mode = args[i + 1];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Path dir = Files.createTempDirectory("strongroom-kms-bench");
        try (KmsServer server = KmsServer.builder(dir).port(0).start()) {
            Credential admin = server.adminCredential();
            String keyArn;
            byte[] blob;
            try (KmsClient kms = sdk(server.endpoint(), admin)) {
                keyArn =
                        kms.createKey(r -> r.description("bench")).keyMetadata().arn();
                blob = kms.generateDataKey(r ->
                                r.keyId(keyArn).keySpec(DataKeySpec.AES_256).encryptionContext(CTX))
                        .ciphertextBlob()
                        .asByteArray();
            }
            System.out.printf(
                    Locale.ROOT,
                    "KMS %s, mode %s, %d s per point, %d cores, %s%n",
                    server.endpoint(),
                    mode,
                    seconds,
                    Runtime.getRuntime().availableProcessors(),
                    CryptoProvider.get().report());
            int max = Arrays.stream(clients).max().orElse(1);
            run(server, admin, keyArn, blob, mode, max, 3); // warm-up, not reported
            System.out.println("clients  req/s     p50 ms   p99 ms   errors");
            for (int n : clients) {
                Result r = run(server, admin, keyArn, blob, mode, n, seconds);
                System.out.printf(
                        Locale.ROOT,
                        "%7d  %8.0f  %7.2f  %7.2f  %d%n",
                        n,
                        r.count / (double) seconds,
                        r.p50Nanos / 1e6,
                        r.p99Nanos / 1e6,
                        r.errors);
            }
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    record Result(long count, long p50Nanos, long p99Nanos, long errors) {}

    private static Result run(
            KmsServer server, Credential cred, String keyArn, byte[] blob, String mode, int n, int seconds)
            throws InterruptedException {
        AtomicBoolean stop = new AtomicBoolean();
        List<long[]> latencies = new ArrayList<>();
        long[] counts = new long[n];
        long[] errors = new long[n];
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < n; t++) {
            long[] lat = new long[4_000_000];
            latencies.add(lat);
            int id = t;
            threads.add(Thread.ofPlatform().start(() -> {
                try (Worker w = mode.equals("sdk")
                        ? new SdkWorker(server.endpoint(), cred, keyArn, blob)
                        : new RawWorker(server.endpoint(), cred, keyArn, blob)) {
                    long i = 0;
                    while (!stop.get()) {
                        long start = System.nanoTime();
                        boolean ok = (i & 1) == 0 ? w.generateDataKey() : w.decrypt();
                        long took = System.nanoTime() - start;
                        if (!ok) {
                            errors[id]++;
                        }
                        if (counts[id] < lat.length) {
                            lat[(int) counts[id]] = took;
                        }
                        counts[id]++;
                        i++;
                    }
                } catch (Exception e) {
                    errors[id]++;
                    System.err.println("client " + id + " failed: " + e);
                }
            }));
        }
        Thread.sleep(seconds * 1000L);
        stop.set(true);
        for (Thread t : threads) {
            t.join();
        }
        long total = Arrays.stream(counts).sum();
        long[] all = new long[(int) Math.min(total, 50_000_000)];
        int k = 0;
        for (int t = 0; t < n; t++) {
            int c = (int) Math.min(counts[t], latencies.get(t).length);
            System.arraycopy(latencies.get(t), 0, all, k, Math.min(c, all.length - k));
            k += Math.min(c, all.length - k);
        }
        Arrays.sort(all, 0, k);
        long p50 = k == 0 ? 0 : all[(int) (k * 0.50)];
        long p99 = k == 0 ? 0 : all[Math.min(k - 1, (int) (k * 0.99))];
        return new Result(total, p50, p99, Arrays.stream(errors).sum());
    }

    interface Worker extends AutoCloseable {
        boolean generateDataKey() throws IOException;

        boolean decrypt() throws IOException;

        @Override
        void close() throws IOException;
    }

    static KmsClient sdk(URI endpoint, Credential c) {
        return KmsClient.builder()
                .endpointOverride(endpoint)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(c.accessKeyId(), c.secretAccessKey())))
                .httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .build();
    }

    static final class SdkWorker implements Worker {
        private final KmsClient kms;
        private final String keyArn;
        private final SdkBytes blob;

        SdkWorker(URI endpoint, Credential c, String keyArn, byte[] blob) {
            this.kms = sdk(endpoint, c);
            this.keyArn = keyArn;
            this.blob = SdkBytes.fromByteArray(blob);
        }

        @Override
        public boolean generateDataKey() {
            return kms.generateDataKey(r ->
                                    r.keyId(keyArn).keySpec(DataKeySpec.AES_256).encryptionContext(CTX))
                            .plaintext()
                            .asByteArray()
                            .length
                    == 32;
        }

        @Override
        public boolean decrypt() {
            return kms.decrypt(r -> r.ciphertextBlob(blob).encryptionContext(CTX))
                            .plaintext()
                            .asByteArray()
                            .length
                    == 32;
        }

        @Override
        public void close() {
            kms.close();
        }
    }

    /** A keep-alive HTTP/1.1 connection sending signed KMS requests. Not thread-safe. */
    static final class RawWorker implements Worker {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;
        private final Credential cred;
        private final String host;
        private final byte[] gdkBody;
        private final byte[] decryptBody;
        private long signedSecond = -1;
        private byte[] gdkRequest = new byte[0];
        private byte[] decryptRequest = new byte[0];
        private final byte[] buf = new byte[64 * 1024];

        RawWorker(URI endpoint, Credential cred, String keyArn, byte[] blob) throws IOException {
            this.socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()));
            this.out = socket.getOutputStream();
            this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            this.cred = cred;
            this.host = endpoint.getHost() + ":" + endpoint.getPort();
            String ctx = "{\"aws:redshift:arn\":\"" + CTX.get("aws:redshift:arn") + "\",\"aws:redshift:createtime\":\""
                    + CTX.get("aws:redshift:createtime") + "\"}";
            this.gdkBody = ("{\"KeyId\":\"" + keyArn + "\",\"KeySpec\":\"AES_256\",\"EncryptionContext\":" + ctx + "}")
                    .getBytes(StandardCharsets.UTF_8);
            this.decryptBody = ("{\"CiphertextBlob\":\"" + Base64.getEncoder().encodeToString(blob)
                            + "\",\"EncryptionContext\":" + ctx + "}")
                    .getBytes(StandardCharsets.UTF_8);
        }

        private byte[] request(String op, byte[] body) {
            Map<String, String> h = new TreeMap<>();
            h.put("host", host);
            h.put("content-type", "application/x-amz-json-1.1");
            h.put("x-amz-target", "TrentService." + op);
            Map<String, String> sig = SigV4.sign(cred, "us-east-1", "kms", Instant.now(), "POST", "/", h, body);
            String head = "POST / HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/x-amz-json-1.1\r\n"
                    + "X-Amz-Target: TrentService." + op + "\r\nX-Amz-Date: " + sig.get("X-Amz-Date") + "\r\n"
                    + "Authorization: " + sig.get("Authorization") + "\r\nContent-Length: " + body.length + "\r\n\r\n";
            byte[] h1 = head.getBytes(StandardCharsets.US_ASCII);
            byte[] all = Arrays.copyOf(h1, h1.length + body.length);
            System.arraycopy(body, 0, all, h1.length, body.length);
            return all;
        }

        private void resign() {
            long second = System.currentTimeMillis() / 1000;
            if (second != signedSecond) {
                gdkRequest = request("GenerateDataKey", gdkBody);
                decryptRequest = request("Decrypt", decryptBody);
                signedSecond = second;
            }
        }

        private boolean exchange(byte[] req) throws IOException {
            out.write(req);
            out.flush();
            // Status line and headers, up to the blank line.
            int status = -1;
            int contentLength = 0;
            StringBuilder line = new StringBuilder();
            while (true) {
                int c = in.read();
                if (c < 0) {
                    throw new IOException("connection closed");
                }
                if (c == '\n') {
                    String l = line.toString().trim();
                    line.setLength(0);
                    if (l.isEmpty()) {
                        break;
                    }
                    if (status < 0) {
                        status = Integer.parseInt(l.substring(9, 12));
                    } else if (l.regionMatches(true, 0, "content-length:", 0, 15)) {
                        contentLength = Integer.parseInt(l.substring(15).trim());
                    }
                } else {
                    line.append((char) c);
                }
            }
            int read = 0;
            while (read < contentLength) {
                int r = in.read(buf, 0, Math.min(buf.length, contentLength - read));
                if (r < 0) {
                    throw new IOException("connection closed");
                }
                read += r;
            }
            return status == 200;
        }

        @Override
        public boolean generateDataKey() throws IOException {
            resign();
            return exchange(gdkRequest);
        }

        @Override
        public boolean decrypt() throws IOException {
            resign();
            return exchange(decryptRequest);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
