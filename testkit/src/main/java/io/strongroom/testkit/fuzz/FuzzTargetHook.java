package io.strongroom.testkit.fuzz;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Runs a {@link FuzzTarget} property: sets its tries ({@link FuzzTarget#tries()}, or {@code strongroom.fuzz.tries}
 * when that system property is set), runs it, and prints one line with the number of executions, the crashes
 * and the seed ({@code fuzz pgwire.startup: 2000 executions, 0 crashes (seed ...)}), so the test output states
 * what ran. Stateless; jqwik makes one per property.
 */
public final class FuzzTargetHook implements AroundPropertyHook {
    /** The system property that replaces every target's tries, for a longer run on demand. */
    public static final String TRIES_PROPERTY = "strongroom.fuzz.tries";

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        FuzzTarget target = context.findAnnotation(FuzzTarget.class)
                .orElseThrow(() -> new IllegalStateException(context.label() + " has no @FuzzTarget"));
        int tries = tries(target.tries());
        context.attributes().setTries(tries);
        Fuzz.resetCounters();
        PropertyExecutionResult result = property.execute();
        boolean passed = result.status() == PropertyExecutionResult.Status.SUCCESSFUL;
        String outcome = passed
                ? "0 crashes"
                : "FAILED (" + result.throwable().map(Fuzz::firstLine).orElse("see above") + ")";
        report("fuzz " + target.value() + ": " + result.countTries() + " executions, " + outcome + " ("
                + Fuzz.decoderRuns() + " decoder runs, " + Fuzz.typedErrors() + " typed errors; seed "
                + result.seed().orElse("?") + ")");
        return result;
    }

    /** Inside the property's own lifecycle, after jqwik's other hooks. */
    @Override
    public int aroundPropertyProximity() {
        return 10;
    }

    static int tries(int dflt) {
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

    @SuppressForbidden("the fuzz report is test output")
    private static void report(String line) {
        System.out.println(line);
    }
}
