ALTER TABLE "schools" ADD COLUMN "media_quota_bytes" bigint;--> statement-breakpoint
ALTER TABLE "schools" ADD COLUMN "max_upload_bytes" bigint;