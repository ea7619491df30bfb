package io.strongroom.testkit.fuzz;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Lets forbiddenapis pass a method that prints to standard output (the fuzz report, a test's seed): that is test
 * output, though testkit's code lives in main sources, where {@code System.out} is banned.
 */
@Retention(RetentionPolicy.CLASS)
@Target({ElementType.METHOD, ElementType.TYPE})
public @interface SuppressForbidden {
    /** Why. */
    String value();
}
