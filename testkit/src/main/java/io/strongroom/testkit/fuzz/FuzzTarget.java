package io.strongroom.testkit.fuzz;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * Marks a jqwik {@code @Property} as a fuzz target: names it for the report ({@code fuzz <name>: N executions, 0
 * crashes}) and gives its number of tries in a normal test run, which {@code -Dstrongroom.fuzz.tries=N} replaces
 * for a longer run ({@link FuzzTargetHook}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@AddLifecycleHook(FuzzTargetHook.class)
public @interface FuzzTarget {
    /** The target's name in the report, e.g. {@code pgwire.startup}. */
    String value();

    /** Tries in a normal (CI) run: keep the whole harness well under a minute. */
    int tries() default 2000;
}
