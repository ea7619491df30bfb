/**
 * The HTTP front: the Redshift API (AWS Query protocol 2012-12-01, SigV4 service {@code redshift}, XML) and the
 * forwarding of KMS API requests ({@code X-Amz-Target: TrentService.*}) to the KMS, on one endpoint.
 */
@org.jspecify.annotations.NullMarked
package io.strongroom.control.api;
