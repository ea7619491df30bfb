package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Every unit of a background job runs exactly once, whoever claims its chunk, and a failed chunk fails the job. */
class BackgroundJobTest {
    @Test
    void everyUnitRunsOnce_onWorkers_withTheWaitingThreadHelping_andProgressAddsUp() {
        for (boolean behind : new boolean[] {false, true}) {
            int units = 10_007;
            AtomicIntegerArray runs = new AtomicIntegerArray(units);
            AtomicLong reported = new AtomicLong();
            Set<String> threads = ConcurrentHashMap.newKeySet();
            Thread waiting = Thread.currentThread();
            CountDownLatch helped = new CountDownLatch(1);
            new BackgroundJob(units, 100, 0, System::nanoTime, (from, to) -> {
                        threads.add(Thread.currentThread().getName());
                        if (Thread.currentThread() == waiting) {
                            helped.countDown();
                        } else if (behind) {
                            // Workers hold on until the waiting thread has helped, so that it surely does.
                            try {
                                helped.await(10, TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                        for (int i = from; i < to; i++) {
                            runs.incrementAndGet(i);
                        }
                    })
                    .run(true, () -> behind, reported::addAndGet);
            for (int i = 0; i < units; i++) {
                assertThat(runs.get(i)).as("unit %d", i).isEqualTo(1);
            }
            assertThat(reported.get()).isEqualTo(units);
            if (behind) {
                // Always behind: the waiting thread claims chunks too.
                assertThat(threads).contains(waiting.getName());
            } else {
                // Never behind: the waiting thread only waits.
                assertThat(threads).isNotEmpty().allMatch(n -> n.startsWith("strongroom-key-rotation-"));
            }
        }
    }

    @Test
    void inTheForeground_orOneChunk_allRunsOnThisThread() {
        for (int[] shape : new int[][] {{50, 10}, {7, 10}, {0, 10}}) {
            boolean background = shape[0] <= shape[1];
            Set<String> threads = ConcurrentHashMap.newKeySet();
            AtomicLong ran = new AtomicLong();
            new BackgroundJob(shape[0], shape[1], 5_000, System::nanoTime, (from, to) -> {
                        threads.add(Thread.currentThread().getName());
                        ran.addAndGet(to - from);
                    })
                    .run(background, () -> false, n -> {});
            assertThat(ran.get()).isEqualTo(shape[0]);
            if (shape[0] > 0) {
                assertThat(threads).containsExactly(Thread.currentThread().getName());
            }
        }
    }

    @Test
    void aFailedChunk_failsTheJob_evenWhenItIsTheLast() {
        for (boolean background : new boolean[] {false, true}) {
            assertThatThrownBy(() -> new BackgroundJob(1_000, 10, 0, System::nanoTime, (from, to) -> {
                                if (to == 1_000) {
                                    throw new IllegalStateException("chunk " + from + " failed");
                                }
                            })
                            .run(background, () -> false, n -> {}))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("chunk 990 failed");
        }
    }

    @Test
    void badShapes_areRefused() {
        assertThatThrownBy(() -> new BackgroundJob(-1, 10, 0, System::nanoTime, (a, b) -> {}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BackgroundJob(1, 0, 0, System::nanoTime, (a, b) -> {}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
