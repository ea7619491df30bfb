package io.strongroom.base;

/**
 * A named place in a durable sequence where a {@link FaultHook} is called: the durable file write's steps ({@link
 * DurableFile.Step}), a store's commit and snapshot steps, the KMS store's load, a control-plane job's steps and a
 * peer copy's parts. A fixed set of points is an enum implementing this interface (its constant's name is the
 * point's name); a point that carries what a test needs to pick it (which job, which copy) is a record.
 *
 * <p>Points are for tests to stop or record a sequence; they carry identifiers and paths, never key material.
 */
public interface FaultPoint {
    /** The point's name, stable across releases of the code that announces it (an enum constant's name). */
    String name();
}
