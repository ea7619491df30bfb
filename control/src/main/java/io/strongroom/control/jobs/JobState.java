package io.strongroom.control.jobs;

import java.util.Arrays;
import java.util.Optional;

/**
 * Where a job is: {@link #RUNNING} until it ends in one of the others. A job that a restart found unfinished is
 * still {@link #RUNNING} until it is resumed or rolled back.
 */
public enum JobState {
    RUNNING("running"),
    SUCCEEDED("succeeded"),
    /** It failed, and what it had done was undone. */
    FAILED("failed"),
    /** A restart found it unfinished, and it was rolled back rather than resumed. */
    ROLLED_BACK("rolled-back");

    private final String wireName;

    JobState(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    public boolean finished() {
        return this != RUNNING;
    }

    public static Optional<JobState> of(String wireName) {
        return Arrays.stream(values()).filter(k -> k.wireName.equals(wireName)).findFirst();
    }
}
