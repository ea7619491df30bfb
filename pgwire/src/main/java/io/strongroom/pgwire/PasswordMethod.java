package io.strongroom.pgwire;

/** How a server asks for the password: one method per server, as PostgreSQL's pg_hba.conf chooses one per rule. */
public enum PasswordMethod {
    /** SCRAM-SHA-256 (RFC 5802, RFC 7677): the password never crosses the wire and the server proves it knows it. */
    SCRAM_SHA_256,
    /** PostgreSQL's md5 challenge, for old clients only: the stored hash is password-equivalent. */
    MD5
}
