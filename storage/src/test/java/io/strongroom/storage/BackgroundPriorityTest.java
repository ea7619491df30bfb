package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** Rotation workers yield to queries because their scheduling really is lowered, and only theirs. */
class BackgroundPriorityTest {
    /** Fields of the calling thread's stat line in /proc, numbered from 1 as proc(5) does. */
    private static String[] statOfThisThread() throws IOException {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"), StandardCharsets.US_ASCII);
        String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        String[] fields = new String[afterName.length + 3];
        System.arraycopy(afterName, 0, fields, 3, afterName.length);
        return fields;
    }

    private static int nice(String[] stat) {
        return Integer.parseInt(stat[19]);
    }

    private static int policy(String[] stat) {
        return Integer.parseInt(stat[41]);
    }

    @Test
    void lowerCurrentThread_putsThatThreadAloneInSchedIdle_orAtTheLowestNice() throws Exception {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"));
        String[] before = statOfThisThread();
        assumeTrue(policy(before) == 0, "the test JVM does not run under SCHED_OTHER");
        BackgroundPriority.Result[] result = new BackgroundPriority.Result[1];
        String[][] lowered = new String[1][];
        Thread t = Thread.ofPlatform().start(() -> {
            result[0] = BackgroundPriority.lowerCurrentThread();
            try {
                lowered[0] = statOfThisThread();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        t.join();
        assertThat(result[0])
                .as("through the foreign function API")
                .isIn(BackgroundPriority.Result.SCHED_IDLE, BackgroundPriority.Result.NICE);
        if (result[0] == BackgroundPriority.Result.SCHED_IDLE) {
            assertThat(policy(lowered[0])).isEqualTo(BackgroundPriority.SCHED_IDLE);
        } else {
            assertThat(nice(lowered[0])).isEqualTo(BackgroundPriority.NICE);
        }
        String[] after = statOfThisThread();
        assertThat(policy(after)).as("the calling thread is untouched").isZero();
        assertThat(nice(after)).isEqualTo(nice(before));
    }
}
