package io.strongroom.hsm.gateway;

import io.strongroom.base.StrongroomException;
import io.strongroom.hsm.ClientCertificates;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * The {@code strongroom hsm} command line:
 *
 * <pre>
 *   hsm serve --dir D [--port 5696] [--bind 127.0.0.1] [--library /usr/lib/softhsm/libsofthsm2.so]
 *   hsm partition create --dir D --label L --pin P [--existing] [--library ...]
 *   hsm partition list --dir D
 *   hsm server-cert --dir D
 *   hsm client register --dir D --name N --cert file.pem
 *   hsm client assign --dir D --name N --partition L
 *   hsm client list --dir D
 *   hsm client revoke --dir D --name N [--partition L]
 * </pre>
 *
 * The partition password may also come from the environment variable STRONGROOM_HSM_PIN (so it stays out of
 * process listings) when {@code --pin} is left out. Exit status 0 on success, 1 on a failure the message explains,
 * 2 on a usage error. Stateless.
 */
public final class HsmCommand {
    private static final String USAGE = """
            usage: strongroom hsm serve --dir D [--port 5696] [--bind 127.0.0.1] [--library PATH]
                   strongroom hsm partition create --dir D --label L [--pin P | env STRONGROOM_HSM_PIN] [--existing] [--library PATH]
                   strongroom hsm partition list --dir D
                   strongroom hsm server-cert --dir D
                   strongroom hsm client register --dir D --name N --cert FILE.pem
                   strongroom hsm client assign --dir D --name N --partition L
                   strongroom hsm client list --dir D
                   strongroom hsm client revoke --dir D --name N [--partition L]
            """;
    private static final Set<String> FLAGS = Set.of("--existing");

    private HsmCommand() {}

    /** Runs {@code args} (the words after {@code hsm}); {@code serve} returns only when the process is stopped. */
    public static int main(String[] args, PrintStream out, PrintStream err) {
        try {
            if (args.length == 0) {
                err.print(USAGE);
                return 2;
            }
            String verb = args[0];
            String sub = args.length > 1 && !args[1].startsWith("--") ? args[1] : "";
            Map<String, String> o = options(args, sub.isEmpty() ? 1 : 2);
            Path dir = Paths.get(required(o, "--dir"));
            Path library = Paths.get(o.getOrDefault("--library", HsmGateway.DEFAULT_LIBRARY.toString()));
            switch (verb + (sub.isEmpty() ? "" : " " + sub)) {
                case "serve" -> {
                    int port = Integer.parseInt(o.getOrDefault("--port", String.valueOf(HsmGateway.DEFAULT_PORT)));
                    HsmGateway g = HsmGateway.start(dir, o.getOrDefault("--bind", "127.0.0.1"), port, library);
                    out.println("strongroom hsm serving KMIP on port " + g.port() + "; server certificate sha256:"
                            + ClientCertificates.fingerprint(g.serverCertificate()));
                    out.flush();
                    CountDownLatch stopped = new CountDownLatch(1);
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                        g.close();
                        stopped.countDown();
                    }));
                    stopped.await();
                }
                case "partition create" -> {
                    String pin = o.get("--pin");
                    if (pin == null) {
                        pin = System.getenv("STRONGROOM_HSM_PIN");
                    }
                    if (pin == null) {
                        err.println("strongroom hsm: give the partition password with --pin or STRONGROOM_HSM_PIN");
                        return 2;
                    }
                    String label = required(o, "--label");
                    HsmGateway.createPartition(dir, library, label, pin, o.containsKey("--existing"));
                    out.println("partition " + label + " created; restart a running gateway of " + dir
                            + " for it to see a new SoftHSM2 token");
                }
                case "partition list" -> HsmGateway.partitions(dir).forEach(out::println);
                case "server-cert" -> out.print(ClientCertificates.toPem(HsmGateway.serverCertificate(dir)));
                case "client register" -> {
                    Path file = Paths.get(required(o, "--cert"));
                    String pem;
                    try {
                        pem = Files.readString(file, StandardCharsets.US_ASCII);
                    } catch (IOException e) {
                        err.println("strongroom hsm: cannot read " + file + ": " + e.getMessage());
                        return 1;
                    }
                    String name = required(o, "--name");
                    HsmGateway.registerClient(dir, name, ClientCertificates.parseCertificatePem(pem));
                    out.println("client " + name + " registered; assign it a partition with `strongroom hsm client"
                            + " assign`");
                }
                case "client assign" -> {
                    HsmGateway.assignClient(dir, required(o, "--name"), required(o, "--partition"));
                    out.println("assigned");
                }
                case "client list" -> HsmGateway.clients(dir).forEach(out::println);
                case "client revoke" -> {
                    HsmGateway.revokeClient(dir, required(o, "--name"), o.get("--partition"));
                    out.println("revoked");
                }
                default -> {
                    err.print(USAGE);
                    return 2;
                }
            }
            return 0;
        } catch (UsageException e) {
            err.println("strongroom hsm: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (StrongroomException e) {
            err.println("strongroom hsm: " + e.getMessage());
            return 1;
        } catch (NumberFormatException e) {
            err.println("strongroom hsm: --port takes a number");
            return 2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    private static Map<String, String> options(String[] args, int from) {
        Map<String, String> o = new HashMap<>();
        for (int i = from; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new UsageException("unexpected argument " + a);
            }
            if (FLAGS.contains(a)) {
                o.put(a, "");
            } else if (i + 1 < args.length) {
                o.put(a, args[++i]);
            } else {
                throw new UsageException(a + " needs a value");
            }
        }
        return o;
    }

    private static String required(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null || v.isBlank()) {
            throw new UsageException("missing " + name);
        }
        return v;
    }

    private static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** The usage text, for the caller's help. */
    public static String usage() {
        return USAGE;
    }
}
