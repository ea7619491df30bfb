package io.strongroom.control.cluster;

/**
 * The {@code DataTransferProgress} of a cluster whose data moves (a resize): live while its job runs.
 *
 * @param status {@code IN_PROGRESS} while it runs, {@code SUCCEEDED} or {@code FAILED} after
 */
public record DataTransferInfo(
        String status,
        double totalMegaBytes,
        double transferredMegaBytes,
        double rateMegaBytes,
        long elapsedSeconds,
        long etaSeconds) {}
