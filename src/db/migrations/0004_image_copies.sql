ALTER TABLE "courses" ADD COLUMN "featured_media_id" text;--> statement-breakpoint
ALTER TABLE "lessons" ADD COLUMN "thumbnail_media_id" text;--> statement-breakpoint
ALTER TABLE "sections" ADD COLUMN "poster_media_id" text;--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_featured_media_id_media_id_fk" FOREIGN KEY ("featured_media_id") REFERENCES "public"."media"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lessons" ADD CONSTRAINT "lessons_thumbnail_media_id_media_id_fk" FOREIGN KEY ("thumbnail_media_id") REFERENCES "public"."media"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sections" ADD CONSTRAINT "sections_poster_media_id_media_id_fk" FOREIGN KEY ("poster_media_id") REFERENCES "public"."media"("id") ON DELETE restrict ON UPDATE no action;