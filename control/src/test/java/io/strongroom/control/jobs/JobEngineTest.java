package io.strongroom.control.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.strongroom.base.FaultHook;
import io.strongroom.base.StrongroomException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job engine alone: records round-trip, a job's steps are on disk before its work relies on them, a failed job
 * is undone and recorded failed, a stop leaves a job running on disk for the next start, and old finished records
 * are dropped after the history period (injected clock; no sleeps).
 */
class JobEngineTest {
    @TempDir
    Path dir;

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

    private JobEngine open() {
        return JobEngine.open(dir, now::get, Duration.ofSeconds(5), FaultHook.NONE);
    }

    private JobRecord record(String id) {
        return JobRecord.start(
                id,
                JobKind.RESIZE_CLUSTER,
                "123456789012",
                "us-east-1",
                "dw1",
                "c-1",
                now.get(),
                Map.of("nodeType", "ra3.xlplus"));
    }

    @Test
    void record_roundTripsThroughJson_andRefusesAnUnknownVersion() {
        JobRecord r = record("j-1").withStep("ready", Map.of("grant", "g-1"));
        assertThat(JobRecord.fromJson(r.toJson(), "test")).isEqualTo(r);
        JobRecord ended = r.ended(JobState.FAILED, now.get(), "why");
        assertThat(JobRecord.fromJson(ended.toJson(), "test")).isEqualTo(ended);
        byte[] newer = new String(r.toJson(), StandardCharsets.UTF_8)
                .replace("\"formatVersion\" : 1", "\"formatVersion\" : 2")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> JobRecord.fromJson(newer, "test")).isInstanceOf(StrongroomException.class);
    }

    @Test
    void stepsAreDurableBeforeTheWorkGoesOn_andTheEndIsRecorded() throws Exception {
        try (JobEngine jobs = open()) {
            AtomicReference<JobRecord> seenOnDisk = new AtomicReference<>();
            Job job = jobs.start(record("j-1"), new JobEngine.Work() {
                @Override
                public String run(Job j) {
                    j.step("copying", Map.of("target", "g2"));
                    try {
                        seenOnDisk.set(JobRecord.fromJson(Files.readAllBytes(dir.resolve("j-1.json")), "disk"));
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                    j.total(100);
                    j.advance(100);
                    return "done";
                }

                @Override
                public String failed(Job j, RuntimeException cause) {
                    throw new AssertionError("not expected");
                }
            });
            assertThat(jobs.awaitGrace(job)).isTrue();
            assertThat(seenOnDisk.get().step()).isEqualTo("copying");
            assertThat(seenOnDisk.get().attribute("target")).isEqualTo("g2");
            assertThat(job.record().state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(job.record().message()).isEqualTo("done");
            assertThat(job.progress().doneBytes()).isEqualTo(100);
        }
        try (JobEngine again = open()) {
            assertThat(again.unfinished()).isEmpty();
            assertThat(again.records())
                    .singleElement()
                    .satisfies(r -> assertThat(r.state()).isEqualTo(JobState.SUCCEEDED));
        }
    }

    @Test
    void aFailedJob_isUndone_andRecordedFailedWithTheUndoMessage() {
        try (JobEngine jobs = open()) {
            Job job = jobs.start(record("j-2"), new JobEngine.Work() {
                @Override
                public String run(Job j) {
                    throw new IllegalStateException("disk full");
                }

                @Override
                public String failed(Job j, RuntimeException cause) {
                    return "undone after: " + cause.getMessage();
                }
            });
            assertThat(jobs.await(job, Duration.ofSeconds(30))).isTrue();
            assertThat(job.record().state()).isEqualTo(JobState.FAILED);
            assertThat(job.record().message()).isEqualTo("undone after: disk full");
        }
    }

    @Test
    void aStop_leavesTheJobRunningOnDisk_andTheNextStartResumesItFromItsStep() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        try (JobEngine jobs = open()) {
            jobs.start(record("j-3"), new JobEngine.Work() {
                @Override
                public String run(Job j) {
                    j.step("half");
                    inside.countDown();
                    while (true) {
                        j.checkpoint(); // throws Stopped once the engine closes
                        Thread.onSpinWait();
                    }
                }

                @Override
                public String failed(Job j, RuntimeException cause) {
                    throw new AssertionError("a stop is not a failure");
                }
            });
            assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
        }
        try (JobEngine again = open()) {
            assertThat(again.unfinished()).singleElement().satisfies(r -> {
                assertThat(r.state()).isEqualTo(JobState.RUNNING);
                assertThat(r.step()).isEqualTo("half");
            });
            AtomicReference<String> resumedAt = new AtomicReference<>();
            Job job = again.resume(again.unfinished().get(0), new JobEngine.Work() {
                @Override
                public String run(Job j) {
                    resumedAt.set(j.record().step());
                    return "resumed";
                }

                @Override
                public String failed(Job j, RuntimeException cause) {
                    return "no";
                }
            });
            assertThat(again.await(job, Duration.ofSeconds(30))).isTrue();
            assertThat(resumedAt.get()).isEqualTo("half");
            assertThat(job.record().state()).isEqualTo(JobState.SUCCEEDED);
        }
    }

    @Test
    void finishedRecords_areDroppedAfterTheHistoryPeriod_runningOnesNever() {
        try (JobEngine jobs = open()) {
            Job done = jobs.create(record("j-4"));
            jobs.settle(done, JobState.SUCCEEDED, "ok");
            jobs.create(record("j-5"));
        }
        now.set(now.get().plus(JobEngine.HISTORY).plusSeconds(1));
        try (JobEngine later = open()) {
            assertThat(later.records()).extracting(JobRecord::id).containsExactly("j-5");
        }
    }
}
