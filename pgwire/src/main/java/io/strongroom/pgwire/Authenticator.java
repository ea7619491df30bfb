package io.strongroom.pgwire;

import org.jspecify.annotations.Nullable;

/**
 * Finds the credentials of a user who is logging in. Implementations must be thread-safe: every connection asks
 * on its own thread. An unknown user gets {@code null}; the server then runs the same exchange against made-up
 * credentials so a client cannot tell unknown users from wrong passwords.
 */
@FunctionalInterface
public interface Authenticator {
    @Nullable
    Credentials lookup(String user);

    /**
     * The credentials of {@code user} logging in to {@code database} (the startup packet's, or the user name when it
     * names none). By default the database makes no difference; an implementation whose credentials are limited to
     * one database (GetClusterCredentials with a DbName) answers null for the others.
     */
    default @Nullable Credentials lookup(String user, String database) {
        return lookup(user);
    }

    /** One user with fixed credentials, e.g. a cluster's master user. */
    static Authenticator single(String user, Credentials credentials) {
        return u -> u.equals(user) ? credentials : null;
    }
}
