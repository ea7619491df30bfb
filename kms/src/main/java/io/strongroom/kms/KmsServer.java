package io.strongroom.kms;

import com.sun.net.httpserver.HttpServer;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.kms.http.BodyDeadline;
import io.strongroom.kms.http.KmsHttpHandler;
import io.strongroom.kms.http.SigV4;
import io.strongroom.kms.service.KmsQuotas;
import io.strongroom.kms.service.KmsService;
import io.strongroom.kms.store.KmsStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * A running KMS: the JSON 1.1 {@code TrentService} API over HTTP on one port, for every region, backed by a
 * data directory ({@code master.key}, {@code kms-store.bin}, {@code credentials.json}, {@code
 * audit/kms-audit.jsonl}).
 *
 * <p>Built on the JDK's {@code com.sun.net.httpserver} with one virtual thread per request: no framework,
 * and blocking code (fsync of the store, audit appends) does not pin a platform thread. A background thread
 * runs scheduled work (automatic rotation, deletion of keys whose waiting period ended) every minute.
 *
 * <p>Limits against clients that never authenticate: at most {@link KmsHttpHandler#DEFAULT_MAX_CONCURRENT}
 * requests in flight (more answer 503 ThrottlingException), request bodies of at most {@link
 * KmsHttpHandler#MAX_BODY_BYTES}, and the JDK server's timeouts, which it reads from system properties once,
 * when its configuration class loads: {@link #HTTP_SERVER_PROPERTIES} are set here, before the first {@code
 * HttpServer} of this class is created, unless already set. If another part of the same JVM started a JDK
 * {@code HttpServer} before the KMS, that server's settings apply instead; the embedding process should then
 * set these properties at its own start (or on the command line with {@code -D}).
 *
 * <p>Start with {@code KmsServer.builder(dataDir).port(0).start()}; {@link #close()} stops the listener,
 * waits for in-flight requests, fsyncs the audit trail and zeroes key material. Thread-safe.
 */
public final class KmsServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KmsServer.class.getName());

    /**
     * The JDK HTTP server's limits the KMS relies on (values in seconds, or a count): a request must arrive
     * completely within 30 s and its response be taken within 30 s, idle keep-alive connections close after 30
     * s, and at most 1024 connections are open at once.
     */
    public static final Map<String, String> HTTP_SERVER_PROPERTIES = Map.of(
            "sun.net.httpserver.maxReqTime", "30",
            "sun.net.httpserver.maxRspTime", "30",
            "sun.net.httpserver.idleInterval", "30",
            "jdk.httpserver.maxConnections", "1024");

    static {
        applyHttpServerLimits();
    }

    /**
     * Sets {@link #HTTP_SERVER_PROPERTIES} that are not set yet. Every JDK {@code HttpServer} of the process takes
     * them from the first one created, so any server (the control plane's too) calls this before creating one.
     */
    public static void applyHttpServerLimits() {
        HTTP_SERVER_PROPERTIES.forEach((k, v) -> {
            if (System.getProperty(k) == null) {
                System.setProperty(k, v);
            }
        });
    }

    private final HttpServer http;
    private final ExecutorService executor;
    private final ScheduledExecutorService scheduler;
    private final KmsService service;
    private final KmsStore store;
    private final AuditLog audit;
    private final CredentialStore credentials;
    private final Path dataDir;

    private KmsServer(
            HttpServer http,
            ExecutorService executor,
            ScheduledExecutorService scheduler,
            KmsService service,
            KmsStore store,
            AuditLog audit,
            CredentialStore credentials,
            Path dataDir) {
        this.http = http;
        this.executor = executor;
        this.scheduler = scheduler;
        this.service = service;
        this.store = store;
        this.audit = audit;
        this.credentials = credentials;
        this.dataDir = dataDir;
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** Configuration of a KMS server; not thread-safe. */
    public static final class Builder {
        private final Path dataDir;
        private String bindAddress = "127.0.0.1";
        private int port = 0;
        private InstantSource clock = InstantSource.system();
        private InstantSource requestClock = InstantSource.system();
        private Duration scheduledWorkInterval = Duration.ofMinutes(1);
        private int maxConcurrentRequests = KmsHttpHandler.DEFAULT_MAX_CONCURRENT;
        private Duration bodyDeadline = BodyDeadline.DEFAULT;
        private KmsQuotas quotas = KmsQuotas.DEFAULTS;
        private char @Nullable [] passphrase;

        private Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        /** The address to listen on; loopback by default. */
        public Builder bindAddress(String address) {
            this.bindAddress = address;
            return this;
        }

        /** The port; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The clock of key lifecycles: creation dates, rotation schedules, deletion waiting periods. */
        public Builder clock(InstantSource clock) {
            this.clock = clock;
            return this;
        }

        /** The clock SigV4 request times are checked against and audit records are stamped with. */
        public Builder requestClock(InstantSource clock) {
            this.requestClock = clock;
            return this;
        }

        /**
         * How often automatic rotation and due deletions run; {@link Duration#ZERO} turns the background
         * thread off (tests that move the clock run {@link KmsService#runScheduledWork} themselves).
         */
        public Builder scheduledWorkInterval(Duration interval) {
            if (interval.isNegative()) {
                throw new IllegalArgumentException("negative scheduled work interval: " + interval);
            }
            this.scheduledWorkInterval = interval;
            return this;
        }

        /** Requests served at once; more answer 503 ThrottlingException. */
        public Builder maxConcurrentRequests(int max) {
            this.maxConcurrentRequests = max;
            return this;
        }

        /** How long a request's body may take to arrive before the client is answered 408 (20 s by default). */
        public Builder bodyDeadline(Duration deadline) {
            this.bodyDeadline = deadline;
            return this;
        }

        /** Resource quotas (keys, aliases, grants, tags, policy size); {@link KmsQuotas#DEFAULTS} by default. */
        public Builder quotas(KmsQuotas quotas) {
            this.quotas = quotas;
            return this;
        }

        /**
         * Seals the master key by {@code passphrase} (Argon2id): a new one is written sealed, one found in the clear
         * is sealed at this start. Without it the master key is kept in the clear (development mode). The array is
         * copied; the caller may zero its own.
         */
        public Builder masterPassphrase(char @Nullable [] passphrase) {
            this.passphrase = passphrase == null ? null : passphrase.clone();
            return this;
        }

        /**
         * The passphrase from the environment: {@code STRONGROOM_KMS_PASSPHRASE}, or the first line of the file
         * {@code STRONGROOM_KMS_PASSPHRASE_FILE} names; null when neither is set.
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

        /**
         * Opens the data directory (creating the master key and an admin credential at first start) and starts
         * listening. A damaged or tampered store throws here, before any port is opened.
         */
        public KmsServer start() {
            SecureRandom random = new SecureRandom();
            KmsStore store = KmsStore.open(dataDir, random, passphrase);
            if (passphrase != null) {
                Arrays.fill(passphrase, '\0');
                passphrase = null;
            }
            AuditLog audit = null;
            KmsService service = null;
            try {
                audit = AuditLog.open(dataDir);
                service = KmsService.open(store, clock, random, audit, quotas);
                CredentialStore credentials = CredentialStore.open(dataDir, random);
                HttpServer http = HttpServer.create(new InetSocketAddress(bindAddress, port), 1024);
                ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
                http.setExecutor(executor);
                http.createContext(
                        "/",
                        new KmsHttpHandler(
                                        service,
                                        new SigV4(credentials, "kms"),
                                        audit,
                                        requestClock,
                                        maxConcurrentRequests)
                                .bodyDeadline(bodyDeadline));
                ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                        .daemon()
                        .name("strongroom-kms-scheduler")
                        .factory());
                KmsService s = service;
                if (!scheduledWorkInterval.isZero()) {
                    scheduler.scheduleWithFixedDelay(
                            () -> {
                                try {
                                    s.runScheduledWork();
                                } catch (RuntimeException e) {
                                    // Retried at the next interval; the store is unchanged when a save fails.
                                    // Service errors name keys and files, never material.
                                    LOG.log(
                                            System.Logger.Level.WARNING,
                                            "scheduled key work (deletions, automatic rotations) failed; retrying in "
                                                    + scheduledWorkInterval + ": " + e);
                                }
                            },
                            0,
                            scheduledWorkInterval.toMillis(),
                            TimeUnit.MILLISECONDS);
                }
                http.start();
                return new KmsServer(http, executor, scheduler, service, store, audit, credentials, dataDir);
            } catch (IOException e) {
                closeQuietly(service, audit, store);
                throw new StrongroomException(
                        ErrorCode.IO_ERROR, "cannot listen on " + bindAddress + ":" + port + ": " + e, e);
            } catch (RuntimeException e) {
                closeQuietly(service, audit, store);
                throw e;
            }
        }

        private static void closeQuietly(@Nullable KmsService service, @Nullable AuditLog audit, KmsStore store) {
            if (service != null) {
                service.close();
            }
            if (audit != null) {
                audit.close();
            }
            store.close();
        }
    }

    /** The endpoint URL, e.g. {@code http://127.0.0.1:41234}; the same URL serves every region. */
    public URI endpoint() {
        InetSocketAddress a = http.getAddress();
        String host = a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort());
    }

    public int port() {
        return http.getAddress().getPort();
    }

    public Path dataDir() {
        return dataDir;
    }

    public CredentialStore credentials() {
        return credentials;
    }

    /** The admin credential created at first start. */
    public Credential adminCredential() {
        return credentials.admin();
    }

    /** The audit trail of this server, for queries. */
    public AuditTrail auditTrail() {
        return new AuditTrail(audit.file());
    }

    /** The service behind the endpoint (tests use it to run scheduled work after moving the clock). */
    public KmsService service() {
        return service;
    }

    /** What a person starting the KMS needs to know; contains no secret. */
    public String startupReport() {
        return "Strongroom KMS listening on " + endpoint() + "\n"
                + "  regions: any; the region of a request is taken from its SigV4 credential scope"
                + " (e.g. --region eu-west-1)\n"
                + "  credentials: " + credentials.file()
                + (credentials.created() ? " (created now, with an admin access key)" : "") + "\n"
                + "  admin principal: " + credentials.admin().principalArn() + ", access key "
                + credentials.admin().accessKeyId() + " (secret in the credentials file)\n"
                + "  master key: " + store.masterKeyFile() + (store.createdMaster() ? " (created now, mode 0600)" : "")
                + (store.masterSealed()
                        ? ", sealed by a passphrase (Argon2id)"
                        : ", IN THE CLEAR: development mode; set STRONGROOM_KMS_PASSPHRASE (or"
                                + " STRONGROOM_KMS_PASSPHRASE_FILE) to seal it")
                + "\n  audit trail: " + audit.file() + "\n"
                + "  try: AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... /usr/bin/aws --endpoint-url " + endpoint()
                + " --region us-east-1 kms create-key";
    }

    @Override
    public void close() {
        http.stop(0);
        scheduler.shutdownNow();
        executor.shutdown();
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        service.close();
        audit.close();
        store.close();
    }

    @Override
    public String toString() {
        return "KmsServer[" + endpoint() + ", " + dataDir + "]";
    }
}
