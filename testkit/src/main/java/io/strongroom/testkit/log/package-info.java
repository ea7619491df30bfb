/** What the product logs during a test, captured so a test can assert on the lines (request ids, stacks). */
@NullMarked
package io.strongroom.testkit.log;

import org.jspecify.annotations.NullMarked;
