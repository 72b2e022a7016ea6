CREATE TABLE "certificate_status_counters" (
	"school_id" text PRIMARY KEY NOT NULL,
	"next_index" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "issuer_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"school_id" text NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"private_jwk_sealed" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "revoked_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "revocation_reason" text;--> statement-breakpoint
ALTER TABLE "certificates" ADD COLUMN "status_index" integer;--> statement-breakpoint
-- Certificates issued before status lists: numbered per school in the order they were issued.
UPDATE "certificates" AS c SET "status_index" = n.idx
FROM (SELECT "id", (row_number() OVER (PARTITION BY "school_id" ORDER BY "created_at", "id") - 1)::integer AS idx FROM "certificates") AS n
WHERE c."id" = n."id";--> statement-breakpoint
INSERT INTO "certificate_status_counters" ("school_id", "next_index")
SELECT "school_id", max("status_index") + 1 FROM "certificates" GROUP BY "school_id";--> statement-breakpoint
ALTER TABLE "certificates" ALTER COLUMN "status_index" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "certificate_status_counters" ADD CONSTRAINT "certificate_status_counters_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issuer_keys" ADD CONSTRAINT "issuer_keys_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "issuer_keys_school_uq" ON "issuer_keys" USING btree ("school_id");--> statement-breakpoint
CREATE UNIQUE INDEX "certificates_status_index_uq" ON "certificates" USING btree ("school_id","status_index");