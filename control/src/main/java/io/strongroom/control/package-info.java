/**
 * The control plane: clusters, their key vault and events, served through a Redshift-compatible API. {@link
 * io.strongroom.control.ControlPlane} is the entry point.
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control;
