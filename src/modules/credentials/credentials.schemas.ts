import { z } from 'zod';

export const IssuerParamsSchema = z.object({ schoolId: z.string().max(64) });

export const IssuerProfileSchema = z
  .object({
    '@context': z.array(z.string()),
    id: z.string().meta({ description: 'The issuer id: this URL.' }),
    type: z.array(z.literal('Profile')),
    name: z.string().meta({ description: "The school's name." }),
    url: z.string().meta({ description: 'The address the school is served from.' }),
  })
  .meta({
    id: 'IssuerProfile',
    description: 'The school as an Open Badges 3.0 issuer `Profile` (public).',
  });
export type IssuerProfile = z.infer<typeof IssuerProfileSchema>;

export const JwksSchema = z
  .object({
    keys: z.array(
      z.object({
        kty: z.string().meta({ description: '`OKP`' }),
        crv: z.string().meta({ description: '`Ed25519`' }),
        x: z.string().meta({ description: 'The public key, base64url.' }),
        kid: z.string().meta({ description: 'The key id (its RFC 7638 thumbprint), as in the JWT header.' }),
        alg: z.literal('EdDSA'),
        use: z.literal('sig'),
      }),
    ),
  })
  .meta({ id: 'Jwks', description: "The school's public signing keys as a JSON Web Key Set (public)." });
export type Jwks = z.infer<typeof JwksSchema>;
