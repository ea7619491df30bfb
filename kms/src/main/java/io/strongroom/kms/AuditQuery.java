package io.strongroom.kms;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A filter over the audit trail; every field left null matches everything. Immutable; build with {@link
 * #all()} and the {@code with...} methods.
 *
 * @param key a key UUID, key ARN or alias name as passed: matches records whose resource ARN or {@code keyId}
 *     parameter is or ends with it
 * @param eventName an API name, e.g. {@code Decrypt}
 * @param principal a principal ARN, account id or access key id
 * @param from inclusive lower bound of {@code eventTime}
 * @param to exclusive upper bound of {@code eventTime}
 * @param contextValue an encryption-context value: matches a record when any context value in its request
 *     parameters equals it or ends with {@code :}/{@code /} followed by it, so a cluster name finds records
 *     whose context holds that cluster's ARN
 * @param errorsOnly when true, only failed calls
 */
public record AuditQuery(
        @Nullable String key,
        @Nullable String eventName,
        @Nullable String principal,
        @Nullable Instant from,
        @Nullable Instant to,
        @Nullable String contextValue,
        boolean errorsOnly) {

    public static AuditQuery all() {
        return new AuditQuery(null, null, null, null, null, null, false);
    }

    public AuditQuery withKey(String k) {
        return new AuditQuery(k, eventName, principal, from, to, contextValue, errorsOnly);
    }

    public AuditQuery withEventName(String e) {
        return new AuditQuery(key, e, principal, from, to, contextValue, errorsOnly);
    }

    public AuditQuery withPrincipal(String p) {
        return new AuditQuery(key, eventName, p, from, to, contextValue, errorsOnly);
    }

    public AuditQuery between(@Nullable Instant f, @Nullable Instant t) {
        return new AuditQuery(key, eventName, principal, f, t, contextValue, errorsOnly);
    }

    public AuditQuery withContextValue(String v) {
        return new AuditQuery(key, eventName, principal, from, to, v, errorsOnly);
    }

    public AuditQuery onlyErrors() {
        return new AuditQuery(key, eventName, principal, from, to, contextValue, true);
    }
}
