/** An HTTP exchange with chosen headers and body, for driving the endpoints' handlers without a server. */
@NullMarked
package io.strongroom.testkit.http;

import org.jspecify.annotations.NullMarked;
