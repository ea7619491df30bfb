package io.strongroom.pgwire;

import java.net.InetAddress;

/**
 * Told of every failed password login (a wrong password, or an unknown user, which is answered alike), so the
 * embedding process can record it in an audit trail. Called on the connection's thread after the failure is
 * decided and before the client is answered; it must not block for long. Implementations are thread-safe.
 */
@FunctionalInterface
public interface LoginAudit {
    LoginAudit NONE = (from, user, database) -> {};

    /** A login as {@code user} to {@code database} from {@code from} failed. */
    void failed(InetAddress from, String user, String database);
}
