package io.strongroom.server;

import io.strongroom.aws.ApiHttpServer;
import io.strongroom.aws.Credential;
import io.strongroom.aws.CredentialStore;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.control.ControlPlane;
import io.strongroom.control.peer.PeerConfig;
import io.strongroom.crypto.CryptoProvider;
import io.strongroom.hsm.gateway.HsmCommand;
import io.strongroom.hsm.gateway.HsmGateway;
import io.strongroom.kms.AuditQuery;
import io.strongroom.kms.AuditRecord;
import io.strongroom.kms.AuditTrail;
import io.strongroom.kms.KmsMain;
import io.strongroom.kms.KmsServer;
import io.strongroom.pgwire.KeyStoreSeal;
import io.strongroom.pgwire.TlsAuthority;
import io.strongroom.server.watch.CoverageCommand;
import io.strongroom.server.watch.ShredCommand;
import io.strongroom.server.watch.WatchCommand;
import io.strongroom.storage.BlockCache;
import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;

/**
 * The {@code strongroom} command.
 *
 * <ul>
 *   <li>{@code up}: in the data directory ({@code STRONGROOM_HOME}, default {@code ./.strongroom}) starts the
 *       KMS and the control plane (Redshift API and KMS API on one endpoint), brings every existing cluster
 *       back through the reboot flow, and runs until Ctrl-C.
 *   <li>{@code status}: the same start-up report, then exit.
 *   <li>{@code kms}: the KMS alone ({@code --data-dir}, {@code --port}, {@code --bind}).
 *   <li>{@code audit}: the KMS audit trail, filtered.
 *   <li>{@code watch}: live progress of an endpoint's long operations, from its Redshift API ({@link
 *       WatchCommand}).
 * </ul>
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        ServerLogging.configure();
        // The JDK HTTP server's JVM-wide limits (timeouts, connection cap), set here before any server of any module
        // starts; the servers themselves set them too, for embedders that do not come through here.
        ApiHttpServer.applyJdkServerLimits();
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        String command = args.length == 0 ? "help" : args[0];
        String[] rest = Arrays.copyOfRange(args, Math.min(1, args.length), args.length);
        try {
            String cacheMb = System.getenv("STRONGROOM_BLOCK_CACHE_MB");
            if (cacheMb != null && !cacheMb.isBlank()) {
                BlockCache.configure(BlockCache.megabytes(cacheMb, "STRONGROOM_BLOCK_CACHE_MB"));
            }
            switch (command) {
                case "up" -> up(out, true);
                case "status" -> up(out, false);
                case "kms" -> KmsMain.main(rest);
                case "hsm" -> System.exit(hsm(out, rest));
                case "audit" -> audit(out, rest);
                case "env" -> env(out);
                case "ca" -> out.print(caPem(home().resolve("control").resolve("tls")));
                case "watch" -> System.exit(watch(out, rest));
                case "coverage" ->
                    System.exit(CoverageCommand.run(
                            rest,
                            System.getenv(),
                            out,
                            new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8)));
                case "shred" ->
                    System.exit(ShredCommand.run(
                            rest,
                            System.getenv(),
                            out,
                            new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8)));
                case "help", "--help", "-h" -> help(out);
                default -> {
                    out.println("unknown command '" + command + "'");
                    help(out);
                    System.exit(2);
                }
            }
        } catch (StrongroomException e) {
            PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
            err.println("strongroom: " + e.getMessage() + " [" + e.code() + "]");
            System.exit(1);
        }
    }

    /**
     * {@code watch}: live progress of the endpoint's long operations, read from the Redshift API. Plain frames when
     * standard output is not a terminal ({@link Console#isTerminal}).
     */
    @SuppressWarnings("SystemConsoleNull") // documented as null when there is no console; kept for other JDKs' builds
    private static int watch(PrintStream out, String[] args) {
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        Console console = System.console();
        boolean terminal = console != null && console.isTerminal();
        return WatchCommand.run(args, System.getenv(), out, err, terminal);
    }

    private static void help(PrintStream out) {
        out.println("usage: strongroom <command>");
        out.println(
                "  up       start the KMS and the control plane (Redshift + KMS APIs) and every cluster; run until Ctrl-C");
        out.println("  status   start, print the report, then exit");
        out.println("  kms      run the KMS alone: --data-dir <dir> [--port <port>] [--bind <address>]");
        out.println("  env      print shell exports for the AWS CLI: the admin credential, region and endpoint");
        out.println(
                "           (eval \"$(./strongroom env)\"); it prints the secret access key, so mind where it goes");
        out.println("  ca       print the certificate authority that signs every cluster's TLS certificate (PEM):");
        out.println("           ./strongroom ca > ca.pem; psql \"... sslmode=verify-full sslrootcert=ca.pem\"");
        out.println("  hsm      the HSM gateway (KMIP over mutual TLS, PKCS#11 tokens): serve, partition create|list,");
        out.println("           server-cert, client register|assign|list|revoke; --dir defaults to the embedded");
        out.println("           gateway's directory ($STRONGROOM_HOME/hsm-gateway); docs/hsm/README.md");
        out.println("  audit    print KMS audit records: [--key <id|arn>] [--event <name>] [--principal <arn>]");
        out.println(
                "           [--context <value, e.g. a cluster name>] [--since <ISO instant>] [--until <ISO instant>] [--errors]");
        out.println("  coverage what is encrypted under which key, read from the block files: [cluster] [--json]");
        out.println("           (every cluster when none is named; snapshots and copies too); exit 3 when anything is");
        out.println("           not encrypted or disagrees with its manifest; endpoint and credentials as for watch");
        out.println(
                "  shred    crypto-shredding report of a cluster, deleted or not: --cluster ID [--execute] [--json];");
        out.println("           --execute deletes the cluster, its manual snapshots and their copies first; exit 3");
        out.println("           while anything could still be read; docs/security.md \"Crypto-shredding\"");
        out.println("  watch    live progress of restores, resizes, snapshots, key rotations and table restores, read");
        out.println("           from the Redshift API: [cluster-identifier] [--interval <seconds, default 2>]");
        out.println("           [--follow (keep watching when nothing runs)] [--once (one plain frame, then exit)]");
        out.println(
                "           [--endpoint-url <url>] [--region <region>]; endpoint and credentials as for the AWS CLI");
        out.println("           (STRONGROOM_ENDPOINT or AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,");
        out.println("           AWS_REGION: eval \"$(./strongroom env)\"); exits when nothing is left running");
        out.println("environment: STRONGROOM_HOME (data directory, default ./.strongroom),");
        out.println(
                "             STRONGROOM_PORT (API endpoint, default 4566), STRONGROOM_KMS_PORT (KMS alone, default 7878),");
        out.println(
                "             STRONGROOM_KMS_ENDPOINT + STRONGROOM_KMS_HOME (a KMS started elsewhere with 'strongroom kms',");
        out.println(
                "             sharing its accounts), or STRONGROOM_KMS_ENDPOINT + STRONGROOM_KMS_SERVICE_ARN (any KMS,");
        out.println("             signed as that principal with the standard AWS credential chain, or the profile");
        out.println("             STRONGROOM_KMS_PROFILE; API accounts then live in <home>/control/accounts),");
        out.println(
                "             STRONGROOM_BLOCK_CACHE_MB (blocks read kept in memory, default a quarter of the heap),");
        out.println(
                "             STRONGROOM_KMS_PASSPHRASE or STRONGROOM_KMS_PASSPHRASE_FILE (seals the KMS master key, Argon2id),");
        out.println(
                "             STRONGROOM_HSM=embedded (up also runs an HSM gateway over SoftHSM2, KMIP on STRONGROOM_HSM_PORT,");
        out.println("             default 5696),");
        out.println(
                "             STRONGROOM_PEERS (peers.json of installations serving other regions; default <home>/control/peers.json)");
    }

    private static Path home() {
        String homeEnv = System.getenv("STRONGROOM_HOME");
        return Path.of(homeEnv == null || homeEnv.isEmpty() ? ".strongroom" : homeEnv)
                .toAbsolutePath();
    }

    private static int port(String variable, int fallback) {
        String v = System.getenv(variable);
        if (v == null || v.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT, variable + " must be a port number, not '" + v + "'");
        }
    }

    /** The embedded HSM gateway's directory. */
    private static Path hsmHome() {
        return home().resolve("hsm-gateway");
    }

    /**
     * {@code hsm}: the gateway commands; {@code --dir} defaults to the embedded gateway's directory. SoftHSM2's
     * configuration (the launcher points SOFTHSM2_CONF at it) is written first when missing.
     */
    private static int hsm(PrintStream out, String[] args) {
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        ensureSoftHsmConfig();
        boolean hasDir = Arrays.asList(args).contains("--dir");
        boolean help = args.length == 0 || args[0].equals("help") || args[0].startsWith("-");
        String[] full = args;
        if (!hasDir && !help) {
            full = Arrays.copyOf(args, args.length + 2);
            full[args.length] = "--dir";
            full[args.length + 1] = hsmHome().toString();
        }
        return HsmCommand.main(full, out, err);
    }

    private static void ensureSoftHsmConfig() {
        String conf = System.getenv("SOFTHSM2_CONF");
        if (conf != null && !conf.isEmpty() && !Files.exists(Path.of(conf))) {
            HsmGateway.writeSoftHsmConfig(Path.of(conf));
        }
    }

    /**
     * With {@code STRONGROOM_HSM=embedded}: an HSM gateway over SoftHSM2 in this process, so HSM mode can be tried
     * with nothing else installed. A first start creates partition {@value #EMBEDDED_PARTITION} with a random
     * password kept in a 0600 file beside it.
     */
    private static @Nullable HsmGateway embeddedHsm(PrintStream out) throws Exception {
        if (!"embedded".equals(System.getenv("STRONGROOM_HSM"))) {
            return null;
        }
        ensureSoftHsmConfig();
        Path dir = hsmHome();
        Files.createDirectories(dir);
        HsmGateway g =
                HsmGateway.start(dir, "127.0.0.1", port("STRONGROOM_HSM_PORT", 5696), HsmGateway.DEFAULT_LIBRARY);
        Path pinFile = dir.resolve(EMBEDDED_PARTITION + ".password");
        if (!HsmGateway.partitions(dir).contains(EMBEDDED_PARTITION)) {
            // Made 0600 from the start; a file left by a start that stopped before the partition existed is reused.
            if (!Files.exists(pinFile)) {
                byte[] r = new byte[12];
                new SecureRandom().nextBytes(r);
                Files.createFile(
                        pinFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(pinFile, HexFormat.of().formatHex(r) + "\n", StandardCharsets.UTF_8);
            }
            g.createPartition(
                    EMBEDDED_PARTITION,
                    Files.readString(pinFile, StandardCharsets.UTF_8).strip());
        }
        out.println("HSM gateway (embedded, SoftHSM2): KMIP on 127.0.0.1:" + g.port() + ", partition "
                + EMBEDDED_PARTITION + " (its password is in " + pinFile + "); server certificate: ./strongroom hsm"
                + " server-cert");
        return g;
    }

    static final String EMBEDDED_PARTITION = "embedded";

    /** The CA certificate clients trust: {@code ca.pem}, or the authority made now when there is none yet. */
    private static String caPem(Path tlsDir) {
        String pem = TlsAuthority.readCaPem(tlsDir);
        return pem != null
                ? pem
                : TlsAuthority.loadOrCreate(tlsDir, caSealOrNull()).caPem();
    }

    private static @Nullable KeyStoreSeal caSealOrNull() {
        char[] passphrase = KmsMain.passphraseFromEnvironment();
        return passphrase == null ? null : new PassphraseSeal(passphrase);
    }

    /** The seal of the TLS authority's key store, and a line saying how the TLS keys are kept. */
    private static @Nullable KeyStoreSeal caSeal(PrintStream out) {
        KeyStoreSeal seal = caSealOrNull();
        out.println("TLS keys: each encrypted cluster's key store sealed under its database key; the certificate"
                + " authority's "
                + (seal == null
                        ? "IN THE CLEAR (file mode only): development mode; set STRONGROOM_KMS_PASSPHRASE to seal it"
                        : "sealed by the installation passphrase"));
        return seal;
    }

    private static void up(PrintStream out, boolean stay) throws Exception {
        Path home = home();
        Files.createDirectories(home);
        CryptoProvider provider = CryptoProvider.get();
        provider.warmUpInBackground(Duration.ofSeconds(30));
        out.println("Strongroom data directory: " + home);
        out.println("crypto: " + provider.report());
        out.println("block cache: " + (BlockCache.shared().maxBytes() >> 20)
                + " MiB of blocks in memory (STRONGROOM_BLOCK_CACHE_MB; 0 turns it off)");
        String kmsEndpoint = System.getenv("STRONGROOM_KMS_ENDPOINT");
        CountDownLatch stopped = new CountDownLatch(1);
        try (SqlEndpoints sql =
                        new SqlEndpoints("127.0.0.1", home.resolve("control").resolve("tls"), caSeal(out));
                KmsServer kms = kmsEndpoint == null || kmsEndpoint.isEmpty()
                        ? KmsServer.builder(home.resolve("kms"))
                                .port(port("STRONGROOM_KMS_PORT", 7878))
                                .masterPassphrase(KmsMain.passphraseFromEnvironment())
                                .start()
                        : null;
                ControlPlane control = controlPlane(home, kms, kmsEndpoint, sql);
                HsmGateway hsm = embeddedHsm(out)) {
            sql.auditTo(control.auditLog());
            sql.temporaryCredentialsFrom(control.clusters().temporaryCredentials());
            if (kms != null) {
                out.println(kms.startupReport());
            }
            out.println(control.startupReport());
            out.println("Each available cluster serves SQL over the PostgreSQL protocol on its endpoint port, e.g.");
            out.println("  PGPASSWORD=... psql \"host=127.0.0.1 port=5439 user=admin dbname=dev sslmode=require\"");
            if (stay) {
                out.println("running; press Ctrl-C to stop");
                CountDownLatch stop = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    out.println("stopping");
                    stop.countDown();
                    try {
                        // Let the main thread close clusters, stores and servers before the JVM halts.
                        stopped.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }));
                stop.await();
            }
        } finally {
            stopped.countDown();
        }
    }

    /**
     * The control plane, with the embedded KMS or, when {@code STRONGROOM_KMS_ENDPOINT} is set, a KMS running
     * elsewhere: a Strongroom KMS ({@code strongroom kms}) whose data directory ({@code STRONGROOM_KMS_HOME}) holds
     * the shared credentials file, or any KMS reached only by endpoint ({@code STRONGROOM_KMS_SERVICE_ARN}, with the
     * standard AWS credential chain or the profile {@code STRONGROOM_KMS_PROFILE}); the control plane's API accounts
     * are then its own ({@code control/accounts}).
     */
    private static ControlPlane controlPlane(
            Path home, @Nullable KmsServer kms, @Nullable String kmsEndpoint, SqlEndpoints sql) {
        ControlPlane.Builder b = ControlPlane.builder(home.resolve("control"))
                .port(port("STRONGROOM_PORT", 4566))
                .clusterListener(sql);
        String peers = System.getenv("STRONGROOM_PEERS");
        if (peers != null && !peers.isEmpty()) {
            b.peers(PeerConfig.read(Path.of(peers)));
        }
        if (kms != null) {
            return b.kms(kms).start();
        }
        String kmsHome = System.getenv("STRONGROOM_KMS_HOME");
        String serviceArn = System.getenv("STRONGROOM_KMS_SERVICE_ARN");
        if (serviceArn != null && !serviceArn.isEmpty()) {
            if (kmsHome != null && !kmsHome.isEmpty()) {
                throw new StrongroomException(
                        ErrorCode.INVALID_ARGUMENT,
                        "set either STRONGROOM_KMS_HOME (a Strongroom KMS sharing its accounts) or"
                                + " STRONGROOM_KMS_SERVICE_ARN (any KMS, with service credentials of its own), not both");
            }
            String profile = System.getenv("STRONGROOM_KMS_PROFILE");
            AwsCredentialsProvider service = profile == null || profile.isEmpty()
                    ? DefaultCredentialsProvider.builder().build()
                    : ProfileCredentialsProvider.create(profile);
            return b.externalKms(URI.create(Objects.requireNonNull(kmsEndpoint)), service, serviceArn)
                    .credentials(CredentialStore.open(home.resolve("control").resolve(ACCOUNTS), new SecureRandom()))
                    .start();
        }
        if (kmsHome == null || kmsHome.isEmpty()) {
            throw new StrongroomException(
                    ErrorCode.INVALID_ARGUMENT,
                    "STRONGROOM_KMS_ENDPOINT is set but neither STRONGROOM_KMS_HOME (the data directory of a Strongroom"
                            + " KMS whose credentials file the control plane shares) nor STRONGROOM_KMS_SERVICE_ARN (the"
                            + " principal the control plane's own credentials sign as, for any other KMS) is");
        }
        return b.kmsEndpoint(URI.create(Objects.requireNonNull(kmsEndpoint)))
                .credentials(CredentialStore.open(Path.of(kmsHome), new SecureRandom()))
                .start();
    }

    /** Where the control plane keeps its own API accounts when its KMS is external. */
    static final String ACCOUNTS = "accounts";

    private static void env(PrintStream out) {
        Path own = home().resolve("control").resolve(ACCOUNTS);
        Path kmsDir = Files.exists(own.resolve(CredentialStore.FILE)) ? own : home().resolve("kms");
        if (!Files.exists(kmsDir.resolve(CredentialStore.FILE))) {
            throw new StrongroomException(
                    ErrorCode.NOT_FOUND, "no credentials yet in " + kmsDir + "; run ./strongroom up first");
        }
        Credential admin = CredentialStore.open(kmsDir, new SecureRandom()).admin();
        out.println("export AWS_ACCESS_KEY_ID=" + admin.accessKeyId());
        out.println("export AWS_SECRET_ACCESS_KEY=" + admin.secretAccessKey());
        out.println("export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER= AWS_EC2_METADATA_DISABLED=true");
        out.println("export STRONGROOM_ENDPOINT=http://127.0.0.1:" + port("STRONGROOM_PORT", 4566));
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
                        ErrorCode.INVALID_ARGUMENT, "missing value after " + a + "; see strongroom help");
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
                            ErrorCode.INVALID_ARGUMENT, "unknown option " + a + "; see strongroom help");
            };
        }
        // The KMS's trail and the control plane's (refused API requests, failed SQL logins), in time order.
        List<AuditRecord> all =
                new ArrayList<>(AuditTrail.ofDataDir(home().resolve("kms")).query(q));
        all.addAll(
                new AuditTrail(home().resolve("control").resolve("audit").resolve(ControlPlane.AUDIT_FILE)).query(q));
        all.sort(Comparator.comparing(AuditRecord::eventTime));
        for (AuditRecord r : all) {
            out.println(r.json());
        }
    }
}
