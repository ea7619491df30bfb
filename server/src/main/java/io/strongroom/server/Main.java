package io.strongroom.server;

import io.strongroom.crypto.CryptoProvider;
import io.strongroom.crypto.DatabaseKey;
import io.strongroom.crypto.EncryptionContext;
import io.strongroom.crypto.StrongroomException;
import io.strongroom.kms.AuditQuery;
import io.strongroom.kms.AuditRecord;
import io.strongroom.kms.AuditTrail;
import io.strongroom.kms.Credential;
import io.strongroom.kms.KmsMain;
import io.strongroom.kms.KmsRootKey;
import io.strongroom.kms.KmsServer;
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
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The {@code strongroom} command.
 *
 * <ul>
 *   <li>{@code up}: in the data directory ({@code STRONGROOM_HOME}, default {@code ./.strongroom}) starts the
 *       embedded KMS, roots the local cluster's keys in the account's {@code aws/redshift} KMS key through the
 *       KMS API (GenerateDataKey / Decrypt with the cluster's encryption context), opens the cluster's
 *       encrypted store, reports, and runs until Ctrl-C. The Redshift and PostgreSQL endpoints join with
 *       issues 4 and 5.
 *   <li>{@code status}: the same start-up and report, then exit.
 *   <li>{@code kms}: the KMS alone ({@code --data-dir}, {@code --port}, {@code --bind}).
 *   <li>{@code audit}: the KMS audit trail, filtered.
 * </ul>
 */
public final class Main {
    private static final String REGION = "us-east-1";

    private Main() {}

    public static void main(String[] args) throws Exception {
        PrintStream out =
                new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        String command = args.length == 0 ? "help" : args[0];
        String[] rest = java.util.Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        try {
            switch (command) {
                case "up" -> up(out, true);
                case "status" -> up(out, false);
                case "kms" -> KmsMain.main(rest);
                case "audit" -> audit(out, rest);
                case "help", "--help", "-h" -> help(out);
                default -> {
                    out.println("unknown command '" + command + "'");
                    help(out);
                    System.exit(2);
                }
            }
        } catch (StrongroomException e) {
            PrintStream err = new PrintStream(
                    new java.io.FileOutputStream(java.io.FileDescriptor.err), true, StandardCharsets.UTF_8);
            err.println("strongroom: " + e.getMessage() + " [" + e.code() + "]");
            System.exit(1);
        }
    }

    private static void help(PrintStream out) {
        out.println("usage: strongroom <command>");
        out.println("  up       start the KMS and the local cluster's encrypted store; run until Ctrl-C");
        out.println("  status   start, print what the data directory holds, then exit");
        out.println("  kms      run the KMS alone: --data-dir <dir> [--port <port>] [--bind <address>]");
        out.println("  audit    print KMS audit records: [--key <id|arn>] [--event <name>] [--principal <arn>]");
        out.println(
                "           [--context <value, e.g. a cluster name>] [--since <ISO instant>] [--until <ISO instant>] [--errors]");
        out.println(
                "environment: STRONGROOM_HOME (data directory, default ./.strongroom), STRONGROOM_KMS_PORT (default 7878)");
    }

    private static Path home() {
        String homeEnv = System.getenv("STRONGROOM_HOME");
        return Path.of(homeEnv == null || homeEnv.isEmpty() ? ".strongroom" : homeEnv)
                .toAbsolutePath();
    }

    private static void up(PrintStream out, boolean stay) throws Exception {
        Path home = home();
        Files.createDirectories(home);
        CryptoProvider provider = CryptoProvider.get();
        provider.warmUpInBackground(Duration.ofSeconds(30));
        out.println("Strongroom data directory: " + home);
        out.println("crypto: " + provider.report());
        String portEnv = System.getenv("STRONGROOM_KMS_PORT");
        int port = portEnv == null || portEnv.isEmpty() ? 7878 : Integer.parseInt(portEnv);
        try (KmsServer kms = KmsServer.builder(home.resolve("kms")).port(port).start()) {
            out.println(kms.startupReport());
            Credential admin = kms.adminCredential();
            try (KmsClient client = KmsClient.builder()
                    .endpointOverride(kms.endpoint())
                    .region(Region.of(REGION))
                    .credentialsProvider(StaticCredentialsProvider.create(
                            AwsBasicCredentials.create(admin.accessKeyId(), admin.secretAccessKey())))
                    .httpClient(UrlConnectionHttpClient.create())
                    .build()) {
                KmsRootKey root = KmsRootKey.open(client, "alias/aws/redshift");
                String clusterArn = "arn:aws:redshift:" + REGION + ":" + admin.accountId() + ":cluster:local";
                String createTime = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmm'Z'", java.util.Locale.ROOT)
                        .withZone(ZoneOffset.UTC)
                        .format(Instant.now());
                EncryptionContext context = EncryptionContext.of(
                        Map.of("aws:redshift:arn", clusterArn, "aws:redshift:createtime", createTime));
                LocalKeyVault vault = new LocalKeyVault(home.resolve("vault"));
                Path storeDir = home.resolve("clusters").resolve("local");
                try (DatabaseKey dek = vault.databaseKey("local", root, context)) {
                    report(out, home, storeDir, root, dek);
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

    private static void report(PrintStream out, Path home, Path storeDir, KmsRootKey root, DatabaseKey dek) {
        StoreKeys keys = StoreKeys.of(dek);
        Store store = Files.exists(storeDir.resolve("STORE"))
                ? Store.open(storeDir, keys)
                : Store.create(storeDir, "local", new ClusterLayout(1, 2), keys);
        try (store;
                Snapshot snap = store.snapshot()) {
            out.println("cluster 'local': encrypted store at " + storeDir + ", version " + store.version() + ", "
                    + store.layout().nodes() + " node(s) x " + store.layout().slicesPerNode() + " slices");
            out.println(
                    "  root key " + root.keyArn() + " (KMS); CEK and DEK stored wrapped in " + home.resolve("vault"));
            for (TableSpec t : snap.tables()) {
                TableReader r = snap.table(t.qualifiedName());
                long encrypted = r.blocks().stream().filter(b -> b.encrypted()).count();
                out.println("  table " + t.qualifiedName() + ": " + r.rowCount() + " rows, "
                        + r.blocks().size() + " blocks, " + encrypted + " encrypted");
            }
            if (snap.tables().isEmpty()) {
                out.println("  no tables yet");
            }
            out.println("Not yet served: the Redshift API (issue #4) and SQL over pgwire (#5).");
        }
    }

    private static void audit(PrintStream out, String[] args) {
        AuditQuery q = AuditQuery.all();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--errors")) {
                q = q.onlyErrors();
                continue;
            }
            if (i + 1 >= args.length) {
                throw new StrongroomException(
                        io.strongroom.crypto.ErrorCode.INVALID_ARGUMENT,
                        "missing value after " + a + "; see strongroom help");
            }
            String v = args[++i];
            q = switch (a) {
                case "--key" -> q.withKey(v);
                case "--event" -> q.withEventName(v);
                case "--principal" -> q.withPrincipal(v);
                case "--context" -> q.withContextValue(v);
                case "--since" -> q.between(Instant.parse(v), q.to());
                case "--until" -> q.between(q.from(), Instant.parse(v));
                default ->
                    throw new StrongroomException(
                            io.strongroom.crypto.ErrorCode.INVALID_ARGUMENT,
                            "unknown option " + a + "; see strongroom help");
            };
        }
        for (AuditRecord r : AuditTrail.ofDataDir(home().resolve("kms")).query(q)) {
            out.println(r.json());
        }
    }
}
