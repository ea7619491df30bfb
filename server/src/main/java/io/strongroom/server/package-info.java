/** The {@code strongroom} command: wiring of the key hierarchy, the store and (later) the services. */
@NullMarked
package io.strongroom.server;

import org.jspecify.annotations.NullMarked;
