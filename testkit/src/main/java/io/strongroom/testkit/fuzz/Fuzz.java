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
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.function.ThrowingConsumer;

/**
 * The fuzzing harness: where seed corpora live and how they are read and written, the generators that mutate
 * them, the check every target makes, and the runner that drives a target and reports on it.
 *
 * <p>How this works. A target is a JUnit test that calls {@link #run} with its name, its number of tries, a
 * {@link Generator} ({@link #inputs} or {@link #texts}) and its check. {@link #run} draws every input from one
 * {@link SplittableRandom} started from a seed ({@value #SEED_PROPERTY}, or a fixed one per target), so a seed replays a
 * run input for input. An input is a seed from the committed corpus as it is (1 in 10), a seed with one to eight
 * {@link Mutation}s (7 in 10), or random bytes (2 in 10). For each input the check calls {@link #decodes} around
 * the decoder under test, which runs it on a worker thread and fails when the decoder throws anything but its
 * documented typed errors (including {@code OutOfMemoryError} and {@code StackOverflowError}), runs longer than
 * the hang guard ({@code strongroom.fuzz.timeoutMillis}, 5 s by default: generous, as it guards against hangs,
 * not slowness on a shared machine), or allocates more than {@code strongroom.fuzz.maxAllocatedBytes} (256 MiB by
 * default) for one input. Where the decoder accepts an input and an encoder exists, the check re-encodes and
 * compares. The first failing try ends the run with an {@link AssertionError} naming the target, the try, the
 * seed, the input (its origin and bytes) and the cause; each run prints one report line, {@code fuzz <target>: N
 * executions, 0 crashes (D decoder runs, E typed errors; seed S)}.
 *
 * <p>Known difference from a property-testing library: nothing shrinks. The failing input is reported as it was
 * generated (a byte input with its origin, which lists the mutations applied to which seed; a text input as an
 * escaped string, since the seed replays how it was made); cut it down by hand if it helps, and add it to the
 * target's corpus as a {@code regression-*} file with the fix. A seed replays a run only over the same corpus and
 * the same generator code.
 *
 * <p>Rejected alternatives: Jazzer (coverage-guided, so it finds deeper paths) does not resolve from the mirror
 * this project builds against. jqwik, which this harness first ran on, is not used because its maintainer asks
 * that AI agents not use it; the generation it did for us is the few lines of {@link #inputs} and {@link
 * #texts}.
 *
 * <p>Thread-safe; the counters are for the one target running at a time (JUnit runs a module's tests one after
 * another here).
 */
public final class Fuzz {
    /** Corpus files live under this folder of a module's test resources, one folder per target. */
    public static final String CORPUS_ROOT = "fuzz";

    /** Set to {@code true} to let a target's corpus generator (re)write its seed files into the source tree. */
    public static final String WRITE_CORPUS_PROPERTY = "strongroom.fuzz.writeCorpus";

    /** Replaces every target's number of tries, for a longer run on demand. */
    public static final String TRIES_PROPERTY = "strongroom.fuzz.tries";

    /**
     * Starts every target's random source from this seed (replays a reported failure), or from a fresh random one
     * with {@code random}; without it each target has a fixed seed of its own.
     */
    public static final String SEED_PROPERTY = "strongroom.fuzz.seed";

    /** Random strings are at most this many chars (and at most the target's {@code maxBytes}). */
    private static final int MAX_RANDOM_CHARS = 256;

    /** Random byte inputs are at most this long (and at most the target's {@code maxBytes}). */
    private static final int MAX_RANDOM_BYTES = 512;

    private static final int SHOWN_CHARS = 4096;

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
     * Inputs for a byte-oriented target: a seed as it is (1 in 10), a seed with one to eight {@link Mutation}s (7
     * in 10), or random bytes, at most {@code min(maxBytes, 512)} of them (2 in 10); none longer than {@code
     * maxBytes} (a mutated seed is cut there). The origin of each says which seed (its index in {@link #corpus}
     * order) and which mutations.
     */
    public static Generator<FuzzInput> inputs(List<byte[]> seeds, int maxBytes) {
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("no seeds");
        }
        List<byte[]> copies = seeds.stream().map(byte[]::clone).toList();
        int maxRandomBytes = Math.min(maxBytes, MAX_RANDOM_BYTES);
        return random -> {
            int draw = random.nextInt(10);
            if (draw < 8) {
                int i = random.nextInt(copies.size());
                if (draw == 0) {
                    return new FuzzInput(copies.get(i), "seed " + i);
                }
                int n = 1 + random.nextInt(8);
                List<Mutation> ms = new ArrayList<>(n);
                for (int k = 0; k < n; k++) {
                    ms.add(Mutation.random(random));
                }
                return new FuzzInput(cap(Mutation.applyAll(copies.get(i), ms), maxBytes), "seed " + i + " with " + ms);
            }
            byte[] b = new byte[random.nextInt(maxRandomBytes + 1)];
            random.nextBytes(b);
            return new FuzzInput(b, "random");
        };
    }

    /**
     * Inputs for a text target: {@link #inputs} over the seeds' UTF-8 bytes, decoded leniently as UTF-8 (8 in 10),
     * or a random string of up to {@code min(maxBytes, 256)} chars (2 in 10) drawn from all of Unicode: ASCII
     * including control chars (1 in 4 draws), a supplementary code point as a surrogate pair (1 in 8), or any UTF-16
     * char, lone surrogates included (the rest).
     */
    public static Generator<String> texts(List<String> seeds, int maxBytes) {
        List<byte[]> bytes =
                seeds.stream().map(s -> s.getBytes(StandardCharsets.UTF_8)).toList();
        Generator<FuzzInput> mutated = inputs(bytes, maxBytes);
        int maxChars = Math.min(maxBytes, MAX_RANDOM_CHARS);
        return random -> random.nextInt(10) < 8
                ? new String(mutated.next(random).bytes(), StandardCharsets.UTF_8)
                : randomString(random, random.nextInt(maxChars + 1));
    }

    private static String randomString(SplittableRandom random, int chars) {
        StringBuilder b = new StringBuilder(chars);
        while (b.length() < chars) {
            int draw = random.nextInt(8);
            if (draw < 2) {
                b.append((char) random.nextInt(0x80));
            } else if (draw == 2 && chars - b.length() >= 2) {
                b.appendCodePoint(random.nextInt(Character.MIN_SUPPLEMENTARY_CODE_POINT, Character.MAX_CODE_POINT + 1));
            } else {
                b.append((char) random.nextInt(Character.MAX_VALUE + 1));
            }
        }
        return b.toString();
    }

    private static byte[] cap(byte[] b, int maxBytes) {
        return b.length <= maxBytes ? b : Arrays.copyOf(b, maxBytes);
    }

    // ---- the runner

    /**
     * Runs one fuzz target: {@code tries} inputs ({@code defaultTries}, or {@value #TRIES_PROPERTY} when set) drawn
     * from {@code inputs} with a random source started from the seed ({@value #SEED_PROPERTY} when set, else the
     * target's fixed one), each through {@code check}, which calls {@link #decodes} around the decoder and asserts what
     * holds of what it accepts. Prints the report line. The first try whose check throws anything ends the run
     * with an {@link AssertionError} that names the target, the try, the seed and how to replay it, the input and
     * the cause.
     *
     * @param target the target's name in the report, e.g. {@code pgwire.startup}
     * @param defaultTries tries in a normal (CI) run: keep the whole harness well under a minute
     */
    public static <T> void run(String target, int defaultTries, Generator<T> inputs, ThrowingConsumer<T> check) {
        run(target, tries(defaultTries), seed(target), inputs, check);
    }

    /** {@link #run} with the tries and the seed given, whatever the system properties say. */
    static <T> void run(String target, int tries, long seed, Generator<T> inputs, ThrowingConsumer<T> check) {
        SplittableRandom random = new SplittableRandom(seed);
        resetCounters();
        for (int i = 1; i <= tries; i++) {
            T input;
            try {
                input = inputs.next(random);
            } catch (RuntimeException e) {
                throw new IllegalStateException(
                        "the generator of fuzz target " + target + " failed at try " + i + " (seed " + seed + ")", e);
            }
            try {
                check.accept(input);
            } catch (Throwable t) { // the point: any exception or error from the check is a finding
                report(target, i, "FAILED at try " + i + " (" + firstLine(t) + ")", seed);
                throw new AssertionError(
                        "fuzz target " + target + " failed at try " + i + " of " + tries + " with seed " + seed
                                + " (replay: -D" + SEED_PROPERTY + "=" + seed + " -D" + TRIES_PROPERTY + "=" + i
                                + "): " + firstLine(t) + "\ninput: " + describe(input),
                        t);
            }
        }
        report(target, tries, "0 crashes", seed);
    }

    private static int tries(int dflt) {
        String v = System.getProperty(TRIES_PROPERTY);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n < 1) {
                throw new NumberFormatException("not positive");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(TRIES_PROPERTY + " must be a positive integer, not " + v, e);
        }
    }

    /**
     * The seed of a run: {@value #SEED_PROPERTY} when set ({@code random} for a fresh one each run), else a fixed
     * seed per target, so the ordinary test run (CI) is the same every time and a red build always means a change
     * broke something; longer and random runs are asked for on demand.
     */
    private static long seed(String target) {
        String v = System.getProperty(SEED_PROPERTY);
        if (v == null || v.isBlank()) {
            return 0x5EEDF022L * 31 + target.hashCode();
        }
        if (v.strip().equals("random")) {
            return new SplittableRandom().nextLong();
        }
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(SEED_PROPERTY + " must be an integer (a reported seed), not " + v, e);
        }
    }

    /**
     * A failing input, ready to turn into a corpus file: a {@link FuzzInput} as its origin and hex; a string
     * escaped as a Java literal (its lone surrogates and control chars visible) and as UTF-8 hex.
     */
    static String describe(@Nullable Object input) {
        if (!(input instanceof String s)) {
            return String.valueOf(input);
        }
        StringBuilder b = new StringBuilder("text (").append(s.length()).append(" chars): \"");
        int shown = Math.min(s.length(), SHOWN_CHARS);
        for (int i = 0; i < shown; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                b.append(c);
            } else {
                b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            }
        }
        b.append(shown < s.length() ? "\"..." : "\"");
        return b.append("; as UTF-8: ")
                .append(new FuzzInput(s.getBytes(StandardCharsets.UTF_8), "text"))
                .toString();
    }

    private static void report(String target, int executions, String outcome, long seed) {
        print("fuzz " + target + ": " + executions + " executions, " + outcome + " (" + decoderRuns()
                + " decoder runs, " + typedErrors() + " typed errors; seed " + seed + ")");
    }

    @SuppressForbidden("the fuzz report is test output")
    private static void print(String line) {
        System.out.println(line);
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

    /** The exception's name and the first line of its message (AssertJ's messages start with a line break). */
    private static String firstLine(Throwable t) {
        String message = t.getMessage();
        String m = t.getClass().getSimpleName() + ": " + (message == null ? "null" : message.strip());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static void resetCounters() {
        RUNS.set(0);
        TYPED.set(0);
    }

    /** Decoder runs since the target started (a try may run the decoder more than once). */
    private static long decoderRuns() {
        return RUNS.get();
    }

    /** Runs that ended in a typed error. */
    private static long typedErrors() {
        return TYPED.get();
    }
}
