package io.strongroom.testkit.fuzz;

import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import org.jspecify.annotations.Nullable;

/**
 * The fuzzing harness: where seed corpora live and how they are read and written, the jqwik generators that
 * mutate them, and the check every target makes.
 *
 * <p>How this works. A target is a jqwik property ({@link FuzzTarget}) over {@link #inputs}: a seed from the
 * committed corpus as it is (1 in 10), a seed with one to eight {@link Mutation}s (7 in 10), or random bytes (2
 * in 10). For each input the target calls {@link #decodes} around the decoder under test, which runs it on a
 * worker thread and fails the property when the decoder throws anything but its documented typed errors
 * (including {@code OutOfMemoryError} and {@code StackOverflowError}), runs longer than the hang guard
 * ({@code strongroom.fuzz.timeoutMillis}, 5 s by default: generous, as it guards against hangs, not slowness on
 * a shared machine), or allocates more than {@code strongroom.fuzz.maxAllocatedBytes} (256 MiB by default) for
 * one input. Where the decoder accepts an input and an encoder exists, the target re-encodes and compares.
 *
 * <p>Rejected alternative: Jazzer (coverage-guided, so it finds deeper paths) does not resolve from the mirror
 * this project builds against; jqwik does, and runs in the ordinary test run as a second JUnit Platform engine.
 *
 * <p>Thread-safe; the counters are for the one property running at a time.
 */
public final class Fuzz {
    /** Corpus files live under this folder of a module's test resources, one folder per target. */
    public static final String CORPUS_ROOT = "fuzz";

    /** Set to {@code true} to let a target's corpus generator (re)write its seed files into the source tree. */
    public static final String WRITE_CORPUS_PROPERTY = "strongroom.fuzz.writeCorpus";

    private static final long TIMEOUT_MILLIS = Long.getLong("strongroom.fuzz.timeoutMillis", 5_000);
    private static final long MAX_ALLOCATED_BYTES = Long.getLong("strongroom.fuzz.maxAllocatedBytes", 256L << 20);

    private static final AtomicLong RUNS = new AtomicLong();
    private static final AtomicLong TYPED = new AtomicLong();
    private static @Nullable ExecutorService worker;

    private Fuzz() {}

    // ---- corpus

    /**
     * The seed files of {@code target}, sorted by name: the files of {@code fuzz/<target>/} on the class path of
     * {@code anchor} (the module's test resources, {@code src/test/resources/fuzz/<target>/}).
     */
    public static List<byte[]> corpus(Class<?> anchor, String target) {
        URL url = anchor.getResource("/" + CORPUS_ROOT + "/" + target);
        if (url == null) {
            throw new IllegalStateException("no corpus for fuzz target " + target + ": add seed files under"
                    + " src/test/resources/" + CORPUS_ROOT + "/" + target + "/");
        }
        try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
            List<byte[]> out = new ArrayList<>();
            for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                out.add(Files.readAllBytes(f));
            }
            if (out.isEmpty()) {
                throw new IllegalStateException("the corpus of fuzz target " + target + " is empty");
            }
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@link #corpus} as UTF-8 text. */
    public static List<String> textCorpus(Class<?> anchor, String target) {
        return corpus(anchor, target).stream()
                .map(b -> new String(b, StandardCharsets.UTF_8))
                .toList();
    }

    /** Whether this run regenerates corpora ({@code -Dstrongroom.fuzz.writeCorpus=true}). */
    public static boolean writingCorpus() {
        return Boolean.getBoolean(WRITE_CORPUS_PROPERTY);
    }

    /**
     * Writes one seed file of {@code target} into the module's source tree ({@code
     * src/test/resources/fuzz/<target>/<name>}, relative to the working directory, which Surefire sets to the
     * module's folder). For corpus generators, which run only when {@link #writingCorpus()}.
     */
    public static void writeSeed(String target, String name, byte[] bytes) {
        Path dir = Path.of("src", "test", "resources", CORPUS_ROOT, target);
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(name), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- generators

    /**
     * Inputs for a byte-oriented target: seeds as they are, mutated seeds, and random bytes; none longer than
     * {@code maxBytes} (a mutated seed is cut there).
     */
    public static Arbitrary<FuzzInput> inputs(List<byte[]> seeds, int maxBytes) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("no seeds");
        }
        List<byte[]> copies = seeds.stream().map(byte[]::clone).toList();
        Arbitrary<Integer> index = Arbitraries.integers().between(0, copies.size() - 1);
        Arbitrary<FuzzInput> asIs = index.map(i -> new FuzzInput(copies.get(i), "seed " + i));
        Arbitrary<FuzzInput> mutated = Combinators.combine(
                        index, mutations().list().ofMinSize(1).ofMaxSize(8))
                .as((i, ms) -> new FuzzInput(
                        cap(Mutation.applyAll(copies.get(i), ms), maxBytes), "seed " + i + " with " + ms));
        Arbitrary<FuzzInput> random = Arbitraries.bytes()
                .array(byte[].class)
                .ofMaxSize(Math.min(maxBytes, 512))
                .map(b -> new FuzzInput(b, "random"));
        return Arbitraries.frequencyOf(Tuple.of(1, asIs), Tuple.of(7, mutated), Tuple.of(2, random));
    }

    /** Inputs for a text target: {@link #inputs} over the seeds' UTF-8 bytes, decoded leniently as UTF-8. */
    public static Arbitrary<String> texts(List<String> seeds, int maxBytes) {
        List<byte[]> bytes =
                seeds.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        Arbitrary<String> mutated = inputs(bytes, maxBytes).map(in -> new String(in.bytes(), StandardCharsets.UTF_8));
        Arbitrary<String> random = Arbitraries.strings().all().ofMaxLength(Math.min(maxBytes, 256));
        return Arbitraries.frequencyOf(Tuple.of(8, mutated), Tuple.of(2, random));
    }

    /** One mutation, its numbers shrinking towards the start of the input and the smallest value. */
    public static Arbitrary<Mutation> mutations() {
        Arbitrary<Long> values = Arbitraries.frequencyOf(
                Tuple.of(1, Arbitraries.of(Mutation.EXTREMES)), Tuple.of(1, Arbitraries.longs()));
        return Combinators.combine(
                        Arbitraries.of(Mutation.Kind.class),
                        Arbitraries.integers().between(0, 1 << 16),
                        Arbitraries.integers().between(0, 64),
                        values)
                .as(Mutation::new);
    }

    private static byte[] cap(byte[] b, int maxBytes) {
        return b.length <= maxBytes ? b : Arrays.copyOf(b, maxBytes);
    }

    // ---- the check

    /**
     * Runs {@code decoder} once under the hang guard and the allocation bound. Returns its value; or empty when it
     * threw one of {@code typed} (the errors it is documented to throw for bad input); and fails with an {@link
     * AssertionError} naming what happened for anything else.
     */
    public static <T> Optional<T> decodes(Callable<T> decoder, Class<?>... typed) {
        RUNS.incrementAndGet();
        Ran<T> ran = run(decoder);
        if (ran.allocatedBytes > MAX_ALLOCATED_BYTES) {
            throw new AssertionError("the decoder allocated " + ran.allocatedBytes + " bytes for one input (bound "
                    + MAX_ALLOCATED_BYTES + ", strongroom.fuzz.maxAllocatedBytes)");
        }
        Throwable thrown = ran.thrown;
        if (thrown == null) {
            return Optional.ofNullable(ran.value);
        }
        for (Class<?> t : typed) {
            if (t.isInstance(thrown)) {
                TYPED.incrementAndGet();
                return Optional.empty();
            }
        }
        throw new AssertionError(
                "the decoder threw " + thrown.getClass().getName() + ", not one of its typed errors "
                        + Arrays.stream(typed).map(Class::getSimpleName).toList(),
                thrown);
    }

    private record Ran<T>(@Nullable T value, @Nullable Throwable thrown, long allocatedBytes) {}

    private static <T> Ran<T> run(Callable<T> decoder) {
        ExecutorService w = worker();
        Future<Ran<T>> f = w.submit(() -> {
            ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = mx.getCurrentThreadAllocatedBytes();
            try {
                T v = decoder.call();
                return new Ran<>(v, null, mx.getCurrentThreadAllocatedBytes() - before);
            } catch (Throwable t) { // the point: OutOfMemoryError and StackOverflowError are findings too
                return new Ran<T>(null, t, mx.getCurrentThreadAllocatedBytes() - before);
            }
        });
        try {
            return f.get(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            f.cancel(true);
            abandon(w);
            throw new AssertionError("the decoder ran longer than " + TIMEOUT_MILLIS
                    + " ms on one input (hang guard, strongroom.fuzz.timeoutMillis)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException e) {
            throw new AssertionError("the harness failed", e.getCause());
        }
    }

    /**
     * One daemon thread reused across tries (so per-thread caches of the code under test stay warm); replaced
     * when a try hangs.
     */
    private static synchronized ExecutorService worker() {
        ExecutorService w = worker;
        if (w == null) {
            w = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "fuzz-worker");
                t.setDaemon(true);
                return t;
            });
            worker = w;
        }
        return w;
    }

    private static synchronized void abandon(ExecutorService w) {
        w.shutdownNow();
        worker = null;
    }

    static String firstLine(Throwable t) {
        String m = t.getClass().getSimpleName() + ": " + t.getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    static void resetCounters() {
        RUNS.set(0);
        TYPED.set(0);
    }

    /** Decoder runs since the property started (a try may run the decoder more than once). */
    static long decoderRuns() {
        return RUNS.get();
    }

    /** Runs that ended in a typed error. */
    static long typedErrors() {
        return TYPED.get();
    }
}
