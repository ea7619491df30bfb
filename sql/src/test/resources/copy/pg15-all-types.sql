COPY (SELECT * FROM (VALUES
 (true, 1::int2, 100000::int4, 9000000000::int8, 12345.678::numeric(12,3), 1.5::float4, 2.25::float8, 'ab'::char(3), 'héllo'::varchar(20), '2024-02-29'::date, '2024-02-29 12:34:56.789012'::timestamp, '2024-02-29 12:34:56.789012+00'::timestamptz),
 (false, '-32768'::int2, '-2147483648'::int4, '-9223372036854775808'::int8, -0.001::numeric(12,3), -0.0::float4, 1e300::float8, 'xyz'::char(3), ''::varchar(20), '1999-12-31'::date, '1970-01-01 00:00:00'::timestamp, '1999-12-31 23:59:59.999999+00'::timestamptz),
 (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
) v) TO STDOUT (FORMAT binary)
