package io.strongroom.server;

import io.strongroom.crypto.CryptoProvider;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.storage.ClusterLayout;
import io.strongroom.storage.Snapshot;
import io.strongroom.storage.Store;
import io.strongroom.storage.StoreKeys;
import io.strongroom.storage.TableReader;
import io.strongroom.storage.TableSpec;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * The {@code strongroom} command.
 *
 * <ul>
 *   <li>{@code up}: opens (or creates) the data directory ({@code STRONGROOM_HOME}, default {@code
 *       ./.strongroom}), unwraps the local cluster's keys from the key vault, opens its encrypted store, reports
 *       what it holds, and runs until Ctrl-C. The KMS, Redshift and PostgreSQL endpoints join this command as
 *       their issues land (#3, #4, #5).
 *   <li>{@code status}: the same report, then exit.
 * </ul>
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String command = args.length == 0 ? "help" : args[0];
        try {
            switch (command) {
                case "up" -> up(out, true);
                case "status" -> up(out, false);
                case "help", "--help", "-h" -> help(out);
                default -> {
                    out.println("unknown command '" + command + "'");
                    help(out);
                    System.exit(2);
                }
            }
        } catch (StrongroomException e) {
            System.err.println("strongroom: " + e.getMessage() + " [" + e.code() + "]");
            System.exit(1);
        }
    }

    private static void help(PrintStream out) {
        out.println("usage: strongroom <command>");
        out.println("  up       open the data directory and the local cluster's encrypted store; run until Ctrl-C");
        out.println("  status   print what the data directory holds, then exit");
        out.println("environment: STRONGROOM_HOME (data directory, default ./.strongroom)");
    }

    private static void up(PrintStream out, boolean stay) throws Exception {
        String homeEnv = System.getenv("STRONGROOM_HOME");
        Path home = Path.of(homeEnv == null || homeEnv.isEmpty() ? ".strongroom" : homeEnv)
                .toAbsolutePath();
        Files.createDirectories(home);
        CryptoProvider provider = CryptoProvider.get();
        provider.warmUpInBackground(Duration.ofSeconds(30));
        out.println("Strongroom data directory: " + home);
        out.println("crypto: " + provider.report());
        LocalKeyVault vault = new LocalKeyVault(home.resolve("vault"));
        Path storeDir = home.resolve("clusters").resolve("local");
        try (DatabaseKey dek = vault.databaseKey("local")) {
            StoreKeys keys = StoreKeys.of(dek);
            Store store = Files.exists(storeDir.resolve("STORE"))
                    ? Store.open(storeDir, keys)
                    : Store.create(storeDir, "local", new ClusterLayout(1, 2), keys);
            try (store;
                    Snapshot snap = store.snapshot()) {
                out.println("cluster 'local': encrypted store at " + storeDir + ", version " + store.version() + ", "
                        + store.layout().nodes() + " node(s) x "
                        + store.layout().slicesPerNode() + " slices");
                out.println(
                        "key vault: " + home.resolve("vault") + " (root key file 0600; CEK and DEK stored wrapped)");
                for (TableSpec t : snap.tables()) {
                    TableReader r = snap.table(t.qualifiedName());
                    long encrypted =
                            r.blocks().stream().filter(b -> b.encrypted()).count();
                    out.println("  table " + t.qualifiedName() + ": " + r.rowCount() + " rows, "
                            + r.blocks().size() + " blocks, " + encrypted + " encrypted");
                }
                if (snap.tables().isEmpty()) {
                    out.println("  no tables yet");
                }
                out.println("Not yet served: the KMS API (issue #3), the Redshift API (#4) and SQL over pgwire (#5).");
                if (stay) {
                    out.println("running; press Ctrl-C to stop");
                    CountDownLatch stop = new CountDownLatch(1);
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                        out.println("stopping");
                        stop.countDown();
                    }));
                    stop.await();
                }
            }
        }
    }
}
