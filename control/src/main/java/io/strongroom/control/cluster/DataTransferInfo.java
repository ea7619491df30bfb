package io.strongroom.control.cluster;

import io.strongroom.control.jobs.Job;

/**
 * The {@code DataTransferProgress} of a cluster whose data moves (a resize, an encryption change): live while its job runs.
 *
 * @param status {@code IN_PROGRESS} while it runs, {@code SUCCEEDED} or {@code FAILED} after
 */
public record DataTransferInfo(
        String status,
        double totalMegaBytes,
        double transferredMegaBytes,
        double rateMegaBytes,
        long elapsedSeconds,
        long etaSeconds) {
    /** {@code status} with a job's progress; the ETA only while it runs. */
    public static DataTransferInfo of(String status, Job.Progress p) {
        return new DataTransferInfo(
                status,
                p.totalMegaBytes(),
                p.doneMegaBytes(),
                p.rateMegaBytesPerSecond(),
                p.elapsed().toSeconds(),
                status.equals("IN_PROGRESS") ? p.etaSeconds() : 0);
    }
}
