package io.strongroom.sql;

import java.util.Map;

/**
 * Who opened a session: the authenticated user, the database, and the client's startup parameters
 * (application_name, client_encoding, DateStyle, ...).
 */
public record SessionInfo(String user, String database, Map<String, String> startupParameters) {
    public SessionInfo {
        startupParameters = Map.copyOf(startupParameters);
    }
}
