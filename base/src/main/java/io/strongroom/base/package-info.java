/**
 * What every module shares and none should write twice: the error model ({@link io.strongroom.base.ErrorCode},
 * {@link io.strongroom.base.StrongroomException}), which each protocol edge maps in one place, and {@link
 * io.strongroom.base.DurableFile}, the durable file write, and {@link io.strongroom.base.FaultHook} with {@link
 * io.strongroom.base.FaultPoint}, the one fault-injection hook every module's durable steps call. JDK only; every
 * module may use it (ArchitectureTest).
 */
@NullMarked
package io.strongroom.base;

import org.jspecify.annotations.NullMarked;
