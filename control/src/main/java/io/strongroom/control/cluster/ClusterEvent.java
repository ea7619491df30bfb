package io.strongroom.control.cluster;

import java.time.Instant;
import java.util.List;

/**
 * One DescribeEvents entry. Messages name clusters, keys and causes, never secrets. Immutable.
 *
 * @param accountId the account that sees the event
 * @param region its region
 * @param sourceIdentifier the cluster identifier at the time of the event
 * @param sourceType {@code cluster}
 * @param message what happened, and for failures what to do
 * @param categories lowercase: management, security, configuration, monitoring
 * @param severity INFO or ERROR
 * @param date when it happened
 * @param eventId {@code REDSHIFT-EVENT-NNNN}
 */
public record ClusterEvent(
        String accountId,
        String region,
        String sourceIdentifier,
        String sourceType,
        String message,
        List<String> categories,
        String severity,
        Instant date,
        String eventId) {
    public ClusterEvent {
        categories = List.copyOf(categories);
    }
}
