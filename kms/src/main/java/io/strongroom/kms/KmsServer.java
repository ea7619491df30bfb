package io.strongroom.kms;

import io.strongroom.aws.ApiHttpServer;
import io.strongroom.aws.BodyDeadline;
import io.strongroom.aws.Credential;
import io.strongroom.aws.CredentialStore;
import io.strongroom.aws.SigV4;
import io.strongroom.base.ErrorCode;
import io.strongroom.base.StrongroomException;
import io.strongroom.kms.audit.AuditLog;
import io.strongroom.kms.http.KmsHttpHandler;
import io.strongroom.kms.service.KmsQuotas;
import io.strongroom.kms.service.KmsService;
import io.strongroom.kms.store.KmsStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
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
 * KmsHttpHandler#MAX_BODY_BYTES}, and the JDK server's timeouts and connection cap, which the shared set-up
 * ({@link ApiHttpServer}) puts in force before the first server of the JVM starts (the JDK has them only as
 * JVM-wide system properties; {@link ApiHttpServer#JDK_SERVER_PROPERTIES}).
 *
 * <p>Start with {@code KmsServer.builder(dataDir).port(0).start()}; {@link #close()} stops the listener,
 * waits for in-flight requests, fsyncs the audit trail and zeroes key material. Thread-safe.
 */
public final class KmsServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(KmsServer.class.getName());

    private final ApiHttpServer http;
    private final KmsHttpHandler handler;
    private volatile boolean closed;
    private final ScheduledExecutorService scheduler;
    private final KmsService service;
    private final KmsStore store;
    private final AuditLog audit;
    private final CredentialStore credentials;
    private final Path dataDir;

    private KmsServer(
            ApiHttpServer http,
            KmsHttpHandler handler,
            ScheduledExecutorService scheduler,
            KmsService service,
            KmsStore store,
            AuditLog audit,
            CredentialStore credentials,
            Path dataDir) {
        this.http = http;
        this.handler = handler;
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
                // Listening first: a port that cannot be bound fails the start before any thread is made.
                KmsHttpHandler handler = new KmsHttpHandler(
                                service, new SigV4(credentials, "kms"), audit, requestClock, maxConcurrentRequests)
                        .bodyDeadline(bodyDeadline);
                ApiHttpServer http = ApiHttpServer.start(bindAddress, port, ApiHttpServer.Limits.DEFAULTS, handler);
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
                return new KmsServer(http, handler, scheduler, service, store, audit, credentials, dataDir);
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
        return http.endpoint();
    }

    public int port() {
        return http.port();
    }

    /**
     * Answers a KMS API request in process, as the HTTP endpoint would answer it over a socket (the same SigV4
     * verification, limits, error answers and one audit record), for an endpoint of the same process that serves the
     * KMS API too (the control plane's) and for the control plane's own KMS clients. The audit record names the
     * request's {@link KmsRequest#sourceAddress} and user agent. Close the answer once it is sent.
     *
     * @throws StrongroomException {@link ErrorCode#KEY_UNAVAILABLE} once this server is closed, as a KMS that has
     *     stopped listening cannot be reached
     */
    public KmsAnswer call(KmsRequest request) {
        if (closed) {
            throw new StrongroomException(
                    ErrorCode.KEY_UNAVAILABLE, "The KMS of " + dataDir + " has stopped; start it again, then retry.");
        }
        return handler.call(request);
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
        closed = true;
        scheduler.shutdownNow();
        http.close();
        service.close();
        audit.close();
        store.close();
    }

    @Override
    public String toString() {
        return "KmsServer[" + endpoint() + ", " + dataDir + "]";
    }
}
