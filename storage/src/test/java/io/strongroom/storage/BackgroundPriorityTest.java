package io.strongroom.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Rotation workers yield to queries because their OS priority really is lower, and only theirs. */
class BackgroundPriorityTest {
    /** The nice value of the calling thread, from /proc (field 19 of its stat line). */
    private static int niceOfThisThread() throws IOException {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"), StandardCharsets.US_ASCII);
        String[] afterName = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(afterName[19 - 3]);
    }

    @Test
    void lowerCurrentThread_setsTheNiceValueOfThatThreadOnly() throws Exception {
        assumeTrue(System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux"));
        int before = niceOfThisThread();
        assumeTrue(before < BackgroundPriority.NICE, "the test JVM already runs at nice " + before);
        AtomicInteger lowered = new AtomicInteger(Integer.MIN_VALUE);
        boolean[] changed = {false};
        Thread t = Thread.ofPlatform().start(() -> {
            changed[0] = BackgroundPriority.lowerCurrentThread();
            try {
                lowered.set(niceOfThisThread());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        t.join();
        assertThat(changed[0])
                .as("setpriority through the foreign function API")
                .isTrue();
        assertThat(lowered).hasValue(BackgroundPriority.NICE);
        assertThat(niceOfThisThread()).as("the calling thread is untouched").isEqualTo(before);
    }
}
