package io.strongroom.kms;

import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;

/**
 * Runs the KMS alone: {@code KmsMain --data-dir <dir> [--port <port>] [--bind <address>]}. Prints the
 * endpoint, how regions work and where the credentials are, then serves until the process is stopped.
 */
public final class KmsMain {
    private KmsMain() {}

    public static void main(String[] args) throws InterruptedException {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        Path dataDir = Path.of("data", "kms");
        int port = 7878;
        String bind = "127.0.0.1";
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length && !a.equals("--help")) {
                usage(out, "missing value after " + a);
                System.exit(2);
            }
            switch (a) {
                case "--data-dir" -> dataDir = Path.of(args[++i]);
                case "--port" -> {
                    String value = args[++i];
                    try {
                        port = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        port = -1;
                    }
                    if (port < 0 || port > 65535) {
                        usage(out, "--port needs a number from 0 to 65535, not '" + value + "'");
                        System.exit(2);
                    }
                }
                case "--bind" -> bind = args[++i];
                case "--help" -> {
                    usage(out, null);
                    return;
                }
                default -> {
                    usage(out, "unknown argument " + a);
                    System.exit(2);
                }
            }
        }
        KmsServer server = KmsServer.builder(dataDir)
                .port(port)
                .bindAddress(bind)
                .masterPassphrase(passphraseFromEnvironment())
                .start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }));
        out.println(server.startupReport());
        stopped.await();
    }

    /**
     * The passphrase from the environment: {@code STRONGROOM_KMS_PASSPHRASE}, or the first line of the file
     * {@code STRONGROOM_KMS_PASSPHRASE_FILE} names; null when neither is set. Read by the process's entry points only
     * (this class, and the {@code strongroom} command), which pass it to {@link KmsServer.Builder#masterPassphrase}:
     * the server itself reads no environment.
     */
    public static char @Nullable [] passphraseFromEnvironment() {
        String direct = System.getenv("STRONGROOM_KMS_PASSPHRASE");
        if (direct != null && !direct.isEmpty()) {
            return direct.toCharArray();
        }
        String file = System.getenv("STRONGROOM_KMS_PASSPHRASE_FILE");
        if (file == null || file.isEmpty()) {
            return null;
        }
        try {
            String line = Files.readAllLines(Path.of(file), StandardCharsets.UTF_8).stream()
                    .findFirst()
                    .orElse("");
            if (line.isEmpty()) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT, "STRONGROOM_KMS_PASSPHRASE_FILE " + file + " is empty");
            }
            return line.toCharArray();
        } catch (IOException e) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, "cannot read STRONGROOM_KMS_PASSPHRASE_FILE " + file + ": " + e, e);
        }
    }

    private static void usage(PrintStream out, @Nullable String problem) {
        if (problem != null) {
            out.println("error: " + problem);
        }
        out.println("usage: KmsMain --data-dir <dir> [--port <port, default 7878>] [--bind <address, default"
                + " 127.0.0.1>]");
    }
}
