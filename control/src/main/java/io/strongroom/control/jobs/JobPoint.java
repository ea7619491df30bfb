package io.strongroom.control.jobs;

import io.strongroom.base.FaultHook;
import io.strongroom.base.FaultPoint;

/**
 * The points at which the job engine calls its {@link FaultHook}: crash tests stop a job at a step (the job's thread
 * dies there, as in a crash), slowed-job tests hold it part-way. A hook picks a job by its kind with a record
 * pattern, e.g. {@code point instanceof JobPoint.Step(JobRecord job, String step) && job.kind() == kind}.
 */
public sealed interface JobPoint extends FaultPoint {
    /**
     * The job's record was written at step {@code name} ({@link JobEngine#create}, {@link Job#step}), or its work
     * passed {@code name}, a place between durable steps ({@link Job#passed}); {@code job} is the record as written.
     */
    record Step(JobRecord job, String name) implements JobPoint {}

    /** The job reported progress ({@link Job#advance}); its progress is read from {@code job}. */
    record Progress(Job job) implements JobPoint {
        @Override
        public String name() {
            return "progress";
        }
    }
}
