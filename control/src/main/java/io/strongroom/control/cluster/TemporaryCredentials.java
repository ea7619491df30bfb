package io.strongroom.control.cluster;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Temporary database credentials, as Redshift's {@code GetClusterCredentials} issues them (the IAM login of
 * {@code redshift_connector} with {@code iam=True}, the Redshift JDBC driver's {@code jdbc:redshift:iam:}): a random
 * password for database user {@code IAM:<DbUser>}, valid from 15 minutes to an hour.
 *
 * <p>Invariants: only the password's verifier is kept (the SCRAM and digest forms the master password has, {@link
 * PasswordVerifier}), in memory; the newest credential for a cluster and user replaces the one before; an expired
 * one opens nothing; a restart forgets them all (clients ask again, as they do every time they connect). Only the
 * cluster's master user can be the DbUser: this warehouse has no other database users (CREATE USER is not built).
 * Thread-safe.
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

    private record Entry(String verifier, Instant expiration) {}

    private final Map<String, Entry> byClusterAndUser = new ConcurrentHashMap<>();
    private final InstantSource clock;
    private final SecureRandom random;

    TemporaryCredentials(InstantSource clock, SecureRandom random) {
        this.clock = clock;
        this.random = random;
    }

    /**
     * A new password for {@code dbUser} on cluster {@code e}, valid for {@code duration} (15 minutes to an hour; the
     * default is 15 minutes).
     */
    Issued issue(ClusterEntry e, String dbUser, Duration duration) {
        if (duration.compareTo(MIN) < 0 || duration.compareTo(MAX) > 0) {
            throw RedshiftApiException.invalidParameter(
                    "DurationSeconds must be from 900 to 3600, not " + duration.toSeconds() + ".");
        }
        if (!dbUser.equalsIgnoreCase(e.rec.masterUsername())) {
            throw RedshiftApiException.invalidParameter("Database user '" + dbUser + "' does not exist in cluster '"
                    + e.rec.identifier() + "': its only user is the master user '" + e.rec.masterUsername()
                    + "' (CREATE USER and AutoCreate are not supported here). Ask for DbUser="
                    + e.rec.masterUsername() + ".");
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
        String user = e.rec.masterUsername().toLowerCase(Locale.ROOT);
        byClusterAndUser.put(
                key(e.rec.id(), user),
                new Entry(PasswordVerifier.create(PREFIX + e.rec.masterUsername(), password, random), until));
        return new Issued(PREFIX + e.rec.masterUsername(), password, until);
    }

    /**
     * The verifier of the temporary credential of {@code dbUser} (without {@code IAM:}) on cluster {@code
     * clusterId}, if one is valid now.
     */
    public Optional<String> verifier(String clusterId, String dbUser) {
        Entry en = byClusterAndUser.get(key(clusterId, dbUser.toLowerCase(Locale.ROOT)));
        if (en == null || !clock.instant().isBefore(en.expiration())) {
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
