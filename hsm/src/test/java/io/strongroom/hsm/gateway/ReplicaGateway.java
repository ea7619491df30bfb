package io.strongroom.hsm.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A second {@code strongroom hsm} in a child JVM, serving a clone of one partition of another gateway: how the tests
 * simulate an HSM partition to which the cluster key was replicated.
 *
 * <p>Why a copy of the token's files. The CEK is CKA_SENSITIVE and never extractable, so nothing on the PKCS#11 or
 * KMIP side can wrap it out to another token; that is the point of it. Real HSMs replicate such keys with their own
 * appliance-to-appliance protocols (Luna's partition cloning and HA groups, backup and restore to a backup HSM),
 * which SoftHSM2 does not have. SoftHSM2's file back end keeps a token as one directory of files ({@code
 * token.object} with the label, serial and the PINs' wrapped token key, and one {@code .object} file per key,
 * encrypted under that token key), so a byte copy of the directory, taken while no process writes it, is a faithful
 * clone: the same label, serial, PINs and key objects, the key still sensitive and never extractable. The gateway's
 * KMIP metadata for the partition ({@code partitions/<label>/objects}: names, states, dates) is copied with it, as
 * a vendor's clone carries the object's attributes.
 *
 * <p>The clone runs in its own JVM with its own {@code SOFTHSM2_CONF} and token directory, as a second appliance
 * would: SoftHSM2 reads its configuration once per process, so a second token directory cannot be opened in the
 * JVM that already loaded the library. The replica has its own server certificate and registry; register and assign
 * clients on it with {@link HsmGateway#registerClient} and {@link HsmGateway#assignClient} on {@link #dir()}.
 *
 * <p>Not thread-safe; one test uses one.
 */
public final class ReplicaGateway implements AutoCloseable {
    private static final Pattern SERVING = Pattern.compile("serving KMIP on port (\\d+)");

    private final Path dir;
    private final Process process;
    private final int port;
    private final StringBuilder output;

    private ReplicaGateway(Path dir, Process process, int port, StringBuilder output) {
        this.dir = dir;
        this.process = process;
        this.port = port;
        this.output = output;
    }

    /**
     * Copies partition {@code label} (its SoftHSM2 token directory under {@code tokens}, and its KMIP metadata under
     * {@code sourceGatewayDir}) to a new replica under {@code root}. Call it while no process writes the token or the
     * metadata: the gateway serving them stopped.
     */
    public static void clonePartition(Path tokens, Path sourceGatewayDir, String label, Path root) {
        try {
            Path token = tokenDirectory(tokens, label);
            Path conf = root.resolve("softhsm2.conf");
            HsmGateway.writeSoftHsmConfig(conf);
            copyTree(token, conf.resolveSibling("tokens").resolve(token.getFileName()));
            Path objects = Path.of("partitions", label, "objects");
            Path target = root.resolve("gateway").resolve(objects);
            Files.createDirectories(target.getParent());
            Files.copy(sourceGatewayDir.resolve(objects), target, StandardCopyOption.COPY_ATTRIBUTES);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Starts the replica cloned under {@code root} ({@link #clonePartition}): a child JVM that records partition
     * {@code label} as an existing token with password {@code pin} (once), then serves it on a free port.
     */
    public static ReplicaGateway start(Path root, String label, String pin) {
        Path dir = root.resolve("gateway");
        HsmGateway.serverCertificate(dir); // made here, so the caller can pin it before the child serves
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(
                        java.toString(),
                        "--enable-native-access=ALL-UNNAMED",
                        "-cp",
                        System.getProperty("java.class.path"),
                        ReplicaGateway.class.getName(),
                        dir.toString(),
                        label,
                        HsmGateway.DEFAULT_LIBRARY.toString())
                .redirectErrorStream(true);
        pb.environment().put("SOFTHSM2_CONF", root.resolve("softhsm2.conf").toString());
        pb.environment().put("STRONGROOM_HSM_PIN", pin);
        StringBuilder output = new StringBuilder();
        try {
            Process p = pb.start();
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            Integer port = null;
            String line;
            while (port == null && (line = r.readLine()) != null) {
                output.append(line).append('\n');
                Matcher m = SERVING.matcher(line);
                if (m.find()) {
                    port = Integer.parseInt(m.group(1));
                }
            }
            if (port == null) {
                p.waitFor(10, TimeUnit.SECONDS);
                throw new IllegalStateException("the replica gateway did not start:\n" + output);
            }
            Thread.ofPlatform().daemon().name("replica-gateway-output").start(() -> {
                try {
                    for (String l = r.readLine(); l != null; l = r.readLine()) {
                        synchronized (output) {
                            output.append(l).append('\n');
                        }
                    }
                } catch (IOException e) {
                    // the child ended
                }
            });
            return new ReplicaGateway(dir, p, port, output);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The replica's gateway directory (its registry, server certificate and the cloned partition's metadata). */
    public Path dir() {
        return dir;
    }

    public int port() {
        return port;
    }

    public X509Certificate serverCertificate() {
        return HsmGateway.serverCertificate(dir);
    }

    /** What the child printed so far (its log), for failure messages. */
    public String output() {
        synchronized (output) {
            return output.toString();
        }
    }

    /** Stops the child (its shutdown hook closes the gateway) and waits for it. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The SoftHSM2 token directory under {@code tokens} whose token is labelled {@code label}. */
    static Path tokenDirectory(Path tokens, String label) throws IOException {
        // token.object holds the label as CKA_LABEL-style 32 bytes, padded with spaces.
        byte[] padded = new byte[32];
        Arrays.fill(padded, (byte) ' ');
        byte[] l = label.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(l, 0, padded, 0, l.length);
        List<Path> found = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(tokens)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                Path t = d.resolve("token.object");
                if (Files.isRegularFile(t) && contains(Files.readAllBytes(t), padded)) {
                    found.add(d);
                }
            }
        }
        if (found.size() != 1) {
            throw new IllegalStateException(found.size() + " tokens labelled " + label + " under " + tokens);
        }
        return found.getFirst();
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /**
     * The child: {@code <gateway dir> <label> <library>}, the partition password in STRONGROOM_HSM_PIN. Records the
     * cloned token as an existing partition (the first time), then serves on a free port until stopped.
     */
    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        String label = args[1];
        Path library = Path.of(args[2]);
        if (!HsmGateway.partitions(dir).contains(label)) {
            String pin = System.getenv("STRONGROOM_HSM_PIN");
            HsmGateway.createPartition(dir, library, label, pin == null ? "" : pin, true);
        }
        System.exit(HsmCommand.main(
                new String[] {"serve", "--dir", dir.toString(), "--port", "0", "--library", library.toString()},
                System.out,
                System.err));
    }
}
