/**
 * HSM mode over KMIP. The cluster side is {@link io.strongroom.hsm.client.KmipClient}, a KMIP 1.4 client over
 * mutual TLS that keeps the cluster encryption key inside an HSM partition; {@link
 * io.strongroom.hsm.ClientCertificates} makes and reads the client certificates it presents. The server side is
 * {@link io.strongroom.hsm.gateway.HsmGateway} ({@code strongroom hsm}), a KMIP server that fronts PKCS#11
 * tokens. Both speak KMIP through {@code io.strongroom.hsm.kmip} (messages and payloads by version) over {@code
 * io.strongroom.hsm.ttlv} (the strict binary codec).
 */
@NullMarked
package io.strongroom.hsm;

import org.jspecify.annotations.NullMarked;
