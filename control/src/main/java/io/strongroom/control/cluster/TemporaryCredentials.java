package io.strongroom.control.cluster;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * Temporary database credentials, as Redshift's {@code GetClusterCredentials} issues them (the IAM login of
 * {@code redshift_connector} with {@code iam=True}, the Redshift JDBC driver's {@code jdbc:redshift:iam:}): a random
 * password for database user {@code IAM:<DbUser>}, valid from 15 minutes to an hour.
 *
 * <p>Invariants: only the password's verifier is kept (the SCRAM, digest and md5 forms the master password has,
 * {@link PasswordVerifier}), in memory; the newest credential for a cluster and user replaces the one before; an
 * expired one opens nothing; one issued with a DbName opens only that database; a restart forgets them all (clients
 * ask again, as they do every time they connect).
 *
 * <p>What the request may ask, and what is refused rather than ignored: DbUser must be the cluster's master user,
 * as this warehouse has no other database users (CREATE USER is not built); so AutoCreate is accepted for the master
 * user (there is nothing to create) and refused for any other name; DbGroups is refused (no database groups);
 * DbName must be the cluster's database. Thread-safe.
 */
public final class TemporaryCredentials {
    /** The database user name a temporary credential logs in as: {@code IAM:} and the DbUser. */
    public static final String PREFIX = "IAM:";

    static final Duration MIN = Duration.ofMinutes(15);
    static final Duration MAX = Duration.ofHours(1);

    /** What GetClusterCredentials answers. {@code toString} withholds the password. */
    public record Issued(String dbUser, String password, Instant expiration) {
        @Override
        public String toString() {
            return "Issued[" + dbUser + ", password withheld, until " + expiration + "]";
        }
    }

    /**
     * What GetClusterCredentials asks for, beyond the cluster.
     *
     * @param dbUser the database user, without {@code IAM:}
     * @param duration how long the password is valid (15 minutes to an hour)
     * @param autoCreate whether to create {@code dbUser} if it does not exist
     * @param dbGroups database groups the user joins for the session
     * @param dbName the one database the credential may log in to, or null for any
     */
    public record Request(
            String dbUser,
            Duration duration,
            boolean autoCreate,
            List<String> dbGroups,
            @Nullable String dbName) {
        public Request {
            dbGroups = List.copyOf(dbGroups);
        }

        /** A request with only a user and a duration. */
        public static Request of(String dbUser, Duration duration) {
            return new Request(dbUser, duration, false, List.of(), null);
        }
    }

    /** A valid credential: its verifier, until when, and the database it is limited to (lowercase), or null. */
    private record Entry(
            String verifier, Instant expiration, @Nullable String dbName) {}

    private final Map<String, Entry> byClusterAndUser = new ConcurrentHashMap<>();
    private final InstantSource clock;
    private final SecureRandom random;

    public TemporaryCredentials(InstantSource clock, SecureRandom random) {
        this.clock = clock;
        this.random = random;
    }

    /**
     * A new password for {@code r.dbUser()} on cluster {@code e}, valid for {@code r.duration()} (15 minutes to an
     * hour; the default is 15 minutes). Refuses what it cannot do, saying what is supported (class comment).
     */
    public Issued issue(ClusterEntry e, Request r) {
        Duration duration = r.duration();
        String dbUser = r.dbUser();
        if (duration.compareTo(MIN) < 0 || duration.compareTo(MAX) > 0) {
            throw RedshiftApiException.invalidParameter(
                    "DurationSeconds must be from 900 to 3600, not " + duration.toSeconds() + ".");
        }
        String master = e.rec.masterUsername();
        if (!r.dbGroups().isEmpty()) {
            throw RedshiftApiException.unsupported("DbGroups is not supported: cluster '" + e.rec.identifier()
                    + "' has no database groups (CREATE GROUP is not built), so " + PREFIX + dbUser + " cannot join "
                    + r.dbGroups() + ". Leave DbGroups out.");
        }
        if (!dbUser.equalsIgnoreCase(master)) {
            if (r.autoCreate()) {
                throw RedshiftApiException.unsupported("AutoCreate cannot create database user '" + dbUser
                        + "' in cluster '" + e.rec.identifier() + "': this warehouse has no database users besides"
                        + " the master user '" + master + "' (CREATE USER is not built). Ask for DbUser=" + master
                        + ".");
            }
            throw RedshiftApiException.invalidParameter("Database user '" + dbUser + "' does not exist in cluster '"
                    + e.rec.identifier() + "': its only user is the master user '" + master
                    + "' (CREATE USER and AutoCreate of other users are not supported here). Ask for DbUser="
                    + master + ".");
        }
        String dbName = r.dbName() == null ? null : r.dbName().toLowerCase(Locale.ROOT);
        if (dbName != null && !dbName.equals(e.rec.dbName().toLowerCase(Locale.ROOT))) {
            throw RedshiftApiException.invalidParameter("Database '" + r.dbName() + "' does not exist in cluster '"
                    + e.rec.identifier() + "': its database is '" + e.rec.dbName() + "'. Give DbName="
                    + e.rec.dbName() + ", or leave DbName out.");
        }
        if (e.status != ClusterStatus.AVAILABLE) {
            throw RedshiftApiException.invalidState("Cluster " + e.rec.identifier() + " is " + e.status.wireName()
                    + "; credentials are issued for an" + " available cluster.");
        }
        byte[] raw = new byte[24];
        random.nextBytes(raw);
        // Redshift's passwords need an upper-case letter, a lower-case letter and a digit: the prefix has them.
        String password = "Tmp1" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        Instant until = clock.instant().plus(duration);
        String user = master.toLowerCase(Locale.ROOT);
        byClusterAndUser.put(
                key(e.rec.id(), user),
                new Entry(PasswordVerifier.create(PREFIX + master, password, random), until, dbName));
        return new Issued(PREFIX + master, password, until);
    }

    /**
     * The verifier of the temporary credential of {@code dbUser} (without {@code IAM:}) on cluster {@code
     * clusterId}, if one is valid now for a login to {@code database}.
     */
    public Optional<String> verifier(String clusterId, String dbUser, String database) {
        Entry en = byClusterAndUser.get(key(clusterId, dbUser.toLowerCase(Locale.ROOT)));
        if (en == null || !clock.instant().isBefore(en.expiration())) {
            return Optional.empty();
        }
        if (en.dbName() != null && !en.dbName().equals(database.toLowerCase(Locale.ROOT))) {
            return Optional.empty();
        }
        return Optional.of(en.verifier());
    }

    /** Forgets the credentials of a cluster (deleted, or its master password changed). */
    void forget(String clusterId) {
        byClusterAndUser.keySet().removeIf(k -> k.startsWith(clusterId + "/"));
    }

    private static String key(String clusterId, String user) {
        return clusterId + "/" + user;
    }
}
