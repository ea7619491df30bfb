package io.strongroom.pgwire;

/**
 * How a server asks for the password. A server chooses one method for PostgreSQL clients and one for Amazon's
 * Redshift drivers (which announce themselves in the startup packet), as Redshift does, and as PostgreSQL's
 * pg_hba.conf chooses one per rule.
 */
public enum PasswordMethod {
    /**
     * SCRAM-SHA-256 (RFC 5802, RFC 7677; authentication code 10): the password never crosses the wire and the server
     * proves it knows it. Amazon's Redshift JDBC driver cannot do it.
     */
    SCRAM_SHA_256,
    /**
     * PostgreSQL's md5 challenge (authentication code 5), for clients that expect it: a replayed answer is useless
     * (the salt changes), but the stored hash is password-equivalent and a captured exchange can be brute-forced.
     */
    MD5,
    /**
     * Redshift's SHA-256 digest (authentication code 13), which only Amazon's Redshift drivers speak: never offered
     * to PostgreSQL clients.
     */
    REDSHIFT_DIGEST
}
