package io.strongroom.control.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.control.NodeType;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** GetClusterCredentials' temporary passwords: for the master user only, for their duration, the newest winning. */
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

        TemporaryCredentials.Issued first = t.issue(e, "ADMIN", Duration.ofMinutes(15));
        assertThat(first.dbUser()).isEqualTo("IAM:admin");
        assertThat(first.expiration()).isEqualTo(Instant.parse("2026-12-06T12:15:00Z"));
        assertThat(first.toString()).doesNotContain(first.password());
        String v1 = t.verifier("c-1", "admin").orElseThrow();
        assertThat(v1).startsWith("SCRAM-SHA-256$").doesNotContain(first.password());

        // A newer one replaces it.
        TemporaryCredentials.Issued second = t.issue(e, "admin", Duration.ofHours(1));
        assertThat(second.password()).isNotEqualTo(first.password());
        assertThat(t.verifier("c-1", "admin").orElseThrow()).isNotEqualTo(v1);

        // Valid up to its expiration, not at it.
        now.set(Instant.parse("2026-12-06T12:59:59Z"));
        assertThat(t.verifier("c-1", "admin")).isPresent();
        now.set(Instant.parse("2026-12-06T13:00:00Z"));
        assertThat(t.verifier("c-1", "admin")).isEmpty();
        assertThat(t.verifier("c-2", "admin")).isEmpty();

        assertThatThrownBy(() -> t.issue(e, "bob", Duration.ofMinutes(15)))
                .hasMessageContaining("its only user is the master user 'admin'");
        assertThatThrownBy(() -> t.issue(e, "admin", Duration.ofMinutes(10)))
                .hasMessageContaining("DurationSeconds must be from 900 to 3600");
        assertThatThrownBy(() -> t.issue(e, "admin", Duration.ofMinutes(61)))
                .hasMessageContaining("DurationSeconds must be from 900 to 3600");
        assertThatThrownBy(() -> t.issue(cluster(ClusterStatus.PAUSED), "admin", Duration.ofMinutes(15)))
                .hasMessageContaining("is paused");
    }
}
