/**
 * HSM mode on the control plane's side: the durable HSM settings (client certificates, configurations, which
 * cluster uses which; docs/format/hsm-settings.md), the internal root key that seals what is kept outside the HSM,
 * and the cluster key that lives inside an HSM partition and is used over KMIP ({@link
 * io.strongroom.control.hsm.HsmClusterKey}). The Redshift API for HSMs and the cluster flows are in {@code
 * control.cluster}; this package does not depend on it.
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control.hsm;
