package io.strongroom.control.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * GetClusterCredentials' temporary passwords: for the master user only, for their duration, the newest winning; each
 * parameter honoured or refused.
 */
class TemporaryCredentialsTest {
    private static ClusterEntry cluster(ClusterStatus status) {
        ClusterRecord rec = new ClusterRecord(
                "c-1",
                "dw1",
                "123456789012",
                "us-east-1",
                NodeType.RA3_XLPLUS,
                1,
                "admin",
                "verifier",
                "dev",
                5439,
                Instant.EPOCH,
                false,
                null,
                "c-1",
                "ns-1",
                false,
                Map.of(),
                1,
                -1,
                ClusterRecord.DEFAULT_PARAMETER_GROUP);
        return new ClusterEntry(rec, status);
    }

    @Test
    void aCredential_opensUntilItExpires_andOnlyForTheMasterUser() {
        AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-06T12:00:00Z"));
        InstantSource clock = now::get;
        TemporaryCredentials t = new TemporaryCredentials(clock, new SecureRandom());
        ClusterEntry e = cluster(ClusterStatus.AVAILABLE);

        TemporaryCredentials.Issued first =
                t.issue(e, TemporaryCredentials.Request.of("ADMIN", Duration.ofMinutes(15)));
        assertThat(first.dbUser()).isEqualTo("IAM:admin");
        assertThat(first.expiration()).isEqualTo(Instant.parse("2026-12-06T12:15:00Z"));
        assertThat(first.toString()).doesNotContain(first.password());
        String v1 = t.verifier("c-1", "admin", "dev").orElseThrow();
        assertThat(v1).startsWith("SCRAM-SHA-256$").doesNotContain(first.password());

        // A newer one replaces it.
        TemporaryCredentials.Issued second = t.issue(e, TemporaryCredentials.Request.of("admin", Duration.ofHours(1)));
        assertThat(second.password()).isNotEqualTo(first.password());
        assertThat(t.verifier("c-1", "admin", "dev").orElseThrow()).isNotEqualTo(v1);

        // Valid up to its expiration, not at it.
        now.set(Instant.parse("2026-12-06T12:59:59Z"));
        assertThat(t.verifier("c-1", "admin", "dev")).isPresent();
        now.set(Instant.parse("2026-12-06T13:00:00Z"));
        assertThat(t.verifier("c-1", "admin", "dev")).isEmpty();
        assertThat(t.verifier("c-2", "admin", "dev")).isEmpty();

        assertThatThrownBy(() -> t.issue(e, TemporaryCredentials.Request.of("bob", Duration.ofMinutes(15))))
                .hasMessageContaining("its only user is the master user 'admin'");
        assertThatThrownBy(() -> t.issue(e, TemporaryCredentials.Request.of("admin", Duration.ofMinutes(10))))
                .hasMessageContaining("DurationSeconds must be from 900 to 3600");
        assertThatThrownBy(() -> t.issue(e, TemporaryCredentials.Request.of("admin", Duration.ofMinutes(61))))
                .hasMessageContaining("DurationSeconds must be from 900 to 3600");
        assertThatThrownBy(() -> t.issue(
                        cluster(ClusterStatus.PAUSED),
                        TemporaryCredentials.Request.of("admin", Duration.ofMinutes(15))))
                .hasMessageContaining("is paused");
    }

    private static RedshiftApiException refused(TemporaryCredentials t, TemporaryCredentials.Request r) {
        Throwable thrown = catchThrowable(() -> t.issue(cluster(ClusterStatus.AVAILABLE), r));
        assertThat(thrown).isInstanceOf(RedshiftApiException.class);
        return (RedshiftApiException) thrown;
    }

    @Test
    void everyParameter_isHonouredOrRefused_neverIgnored() {
        TemporaryCredentials t = new TemporaryCredentials(InstantSource.system(), new SecureRandom());
        ClusterEntry e = cluster(ClusterStatus.AVAILABLE);
        Duration d = Duration.ofMinutes(15);

        // AutoCreate for the master user: it exists, so there is nothing to create.
        assertThat(t.issue(e, new TemporaryCredentials.Request("admin", d, true, List.of(), null))
                        .dbUser())
                .isEqualTo("IAM:admin");
        // AutoCreate of another user, and DbGroups, cannot be done here: refused saying what is supported.
        RedshiftApiException autoCreate = refused(t, new TemporaryCredentials.Request("bob", d, true, List.of(), null));
        assertThat(autoCreate.wireCode()).isEqualTo("UnsupportedOperation");
        assertThat(autoCreate.getMessage()).contains("AutoCreate cannot create database user 'bob'", "DbUser=admin");
        RedshiftApiException groups =
                refused(t, new TemporaryCredentials.Request("admin", d, false, List.of("analysts"), null));
        assertThat(groups.wireCode()).isEqualTo("UnsupportedOperation");
        assertThat(groups.getMessage()).contains("DbGroups is not supported", "[analysts]", "Leave DbGroups out");
        RedshiftApiException db = refused(t, new TemporaryCredentials.Request("admin", d, false, List.of(), "sales"));
        assertThat(db.wireCode()).isEqualTo("InvalidParameterValue");
        assertThat(db.getMessage()).contains("Database 'sales' does not exist", "its database is 'dev'");

        // DbName: the credential opens that database only.
        t.issue(e, new TemporaryCredentials.Request("admin", d, false, List.of(), "DEV"));
        assertThat(t.verifier("c-1", "admin", "dev")).isPresent();
        assertThat(t.verifier("c-1", "admin", "other")).isEmpty();
        // Without it, any database name the endpoint serves.
        t.issue(e, TemporaryCredentials.Request.of("admin", d));
        assertThat(t.verifier("c-1", "admin", "other")).isPresent();
    }
}
