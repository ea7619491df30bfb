package io.strongroom.testkit.durable;

import io.strongroom.base.DurableFile;
import io.strongroom.base.FaultHook;
import io.strongroom.base.FaultPoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A {@link FaultHook} that records every point it is called at, as {@code "<POINT> <path>"} with the path relative
 * to a root (the store, the KMS directory, the vault), so a test pins a module's durable write sequence in one
 * assertion: which files are written and fsynced, renamed, which directories are fsynced, what is deleted, and in
 * which order. {@link #durableWrites} keeps only {@link DurableFile.Step}s (the file system's view); {@link
 * #points} keeps the module's own points (a store's commit steps) interleaved with them.
 *
 * <p>It never throws, so it observes without changing the sequence; {@link #then} chains a hook that does (a crash
 * test that records up to its fault). Thread-safe.
 */
public final class DurableWriteRecorder implements FaultHook {
    private final Path root;
    private final FaultHook next;
    private final List<Entry> entries = new ArrayList<>();

    private record Entry(FaultPoint point, String text) {}

    private DurableWriteRecorder(Path root, FaultHook next) {
        this.root = root.toAbsolutePath().normalize();
        this.next = next;
    }

    /** A recorder naming paths relative to {@code root}. */
    public static DurableWriteRecorder under(Path root) {
        return new DurableWriteRecorder(root, FaultHook.NONE);
    }

    /** A recorder that, after recording each point, calls {@code next} (which may throw). */
    public DurableWriteRecorder then(FaultHook next) {
        return new DurableWriteRecorder(root, next);
    }

    @Override
    public void at(FaultPoint point, @Nullable Path file) throws IOException {
        String text = file == null ? point.name() : point.name() + " " + relative(file);
        synchronized (entries) {
            entries.add(new Entry(point, text));
        }
        next.at(point, file);
    }

    /** The durable file steps recorded so far, in order ({@code "WRITE tables/1/manifest-1"}, ...). */
    public List<String> durableWrites() {
        synchronized (entries) {
            return entries.stream()
                    .filter(e -> e.point() instanceof DurableFile.Step)
                    .map(Entry::text)
                    .toList();
        }
    }

    /** Every point recorded so far, in order, the module's own points among the durable file steps. */
    public List<String> points() {
        synchronized (entries) {
            return entries.stream().map(Entry::text).toList();
        }
    }

    /** Forgets what was recorded (a test that pins the second of two writes). */
    public void clear() {
        synchronized (entries) {
            entries.clear();
        }
    }

    private String relative(Path file) {
        Path p = file.toAbsolutePath().normalize();
        if (!p.startsWith(root)) {
            return p.toString();
        }
        String r = root.relativize(p).toString();
        return r.isEmpty() ? "." : r;
    }
}
