CREATE TYPE "public"."content_status" AS ENUM('draft', 'published');--> statement-breakpoint
CREATE TYPE "public"."course_level" AS ENUM('beginner', 'intermediate', 'advanced');--> statement-breakpoint
CREATE TYPE "public"."course_privacy" AS ENUM('public', 'unlisted', 'private');--> statement-breakpoint
CREATE TYPE "public"."course_status" AS ENUM('draft', 'published', 'archived');--> statement-breakpoint
CREATE TYPE "public"."course_type" AS ENUM('course', 'download', 'learning_path', 'webinar', 'video', 'article', 'scorm', 'xapi');--> statement-breakpoint
CREATE TYPE "public"."lesson_type" AS ENUM('text', 'video', 'audio', 'pdf', 'file', 'embed', 'quiz');--> statement-breakpoint
CREATE TYPE "public"."plan_interval" AS ENUM('month', 'year');--> statement-breakpoint
CREATE TYPE "public"."plan_status" AS ENUM('active', 'archived');--> statement-breakpoint
CREATE TYPE "public"."plan_type" AS ENUM('free', 'one_time', 'subscription', 'installments');--> statement-breakpoint
CREATE TABLE "course_tags" (
	"course_id" text NOT NULL,
	"tag_id" text NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "course_tags_course_id_tag_id_pk" PRIMARY KEY("course_id","tag_id")
);
--> statement-breakpoint
CREATE TABLE "courses" (
	"id" text PRIMARY KEY NOT NULL,
	"school_id" text NOT NULL,
	"title" text NOT NULL,
	"type" "course_type" DEFAULT 'course' NOT NULL,
	"slug" text NOT NULL,
	"description" jsonb,
	"description_html" text,
	"short_description" text,
	"thumbnail_url" text,
	"trailer_url" text,
	"level" "course_level",
	"category_id" text,
	"authors" text[] DEFAULT '{}'::text[] NOT NULL,
	"external_id" text,
	"custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"source" text,
	"privacy" "course_privacy" DEFAULT 'public' NOT NULL,
	"status" "course_status" DEFAULT 'draft' NOT NULL,
	"default_payment_plan_id" text,
	"published_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lessons" (
	"id" text PRIMARY KEY NOT NULL,
	"school_id" text NOT NULL,
	"course_id" text NOT NULL,
	"section_id" text,
	"title" text NOT NULL,
	"type" "lesson_type" DEFAULT 'text' NOT NULL,
	"position" integer NOT NULL,
	"downloadable" boolean DEFAULT false NOT NULL,
	"summary" text,
	"content" jsonb,
	"content_html" text,
	"video_url" text,
	"video_meta" jsonb,
	"duration" integer,
	"is_preview" boolean DEFAULT false NOT NULL,
	"status" "content_status" DEFAULT 'published' NOT NULL,
	"unlock" jsonb DEFAULT '{"type":"immediate"}'::jsonb NOT NULL,
	"completion" jsonb DEFAULT '{"type":"button"}'::jsonb NOT NULL,
	"instructor_id" text,
	"thumbnail_url" text,
	"external_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "payment_plans" (
	"id" text PRIMARY KEY NOT NULL,
	"school_id" text NOT NULL,
	"course_id" text NOT NULL,
	"name" text NOT NULL,
	"type" "plan_type" NOT NULL,
	"amount" integer NOT NULL,
	"currency" text NOT NULL,
	"interval" "plan_interval",
	"installments_count" integer,
	"description" text,
	"status" "plan_status" DEFAULT 'active' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sections" (
	"id" text PRIMARY KEY NOT NULL,
	"school_id" text NOT NULL,
	"course_id" text NOT NULL,
	"title" text NOT NULL,
	"description" jsonb,
	"description_html" text,
	"position" integer NOT NULL,
	"poster_image_url" text,
	"status" "content_status" DEFAULT 'published' NOT NULL,
	"drip" jsonb DEFAULT '{"type":"none"}'::jsonb NOT NULL,
	"prerequisites" text[] DEFAULT '{}'::text[] NOT NULL,
	"external_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tags" (
	"id" text PRIMARY KEY NOT NULL,
	"school_id" text NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "course_tags" ADD CONSTRAINT "course_tags_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "course_tags" ADD CONSTRAINT "course_tags_tag_id_tags_id_fk" FOREIGN KEY ("tag_id") REFERENCES "public"."tags"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_category_id_categories_id_fk" FOREIGN KEY ("category_id") REFERENCES "public"."categories"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "courses" ADD CONSTRAINT "courses_default_payment_plan_id_payment_plans_id_fk" FOREIGN KEY ("default_payment_plan_id") REFERENCES "public"."payment_plans"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lessons" ADD CONSTRAINT "lessons_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lessons" ADD CONSTRAINT "lessons_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lessons" ADD CONSTRAINT "lessons_section_id_sections_id_fk" FOREIGN KEY ("section_id") REFERENCES "public"."sections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lessons" ADD CONSTRAINT "lessons_instructor_id_users_id_fk" FOREIGN KEY ("instructor_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_plans" ADD CONSTRAINT "payment_plans_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_plans" ADD CONSTRAINT "payment_plans_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sections" ADD CONSTRAINT "sections_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sections" ADD CONSTRAINT "sections_course_id_courses_id_fk" FOREIGN KEY ("course_id") REFERENCES "public"."courses"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tags" ADD CONSTRAINT "tags_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "course_tags_tag_idx" ON "course_tags" USING btree ("tag_id");--> statement-breakpoint
CREATE UNIQUE INDEX "courses_school_slug_uq" ON "courses" USING btree ("school_id","slug");--> statement-breakpoint
CREATE UNIQUE INDEX "courses_school_external_id_uq" ON "courses" USING btree ("school_id","external_id");--> statement-breakpoint
CREATE INDEX "courses_school_created_idx" ON "courses" USING btree ("school_id","created_at","id");--> statement-breakpoint
CREATE INDEX "courses_school_updated_idx" ON "courses" USING btree ("school_id","updated_at","id");--> statement-breakpoint
CREATE INDEX "courses_school_title_idx" ON "courses" USING btree ("school_id","title","id");--> statement-breakpoint
CREATE INDEX "courses_category_idx" ON "courses" USING btree ("category_id");--> statement-breakpoint
CREATE UNIQUE INDEX "lessons_course_external_id_uq" ON "lessons" USING btree ("course_id","external_id");--> statement-breakpoint
CREATE INDEX "lessons_course_section_position_idx" ON "lessons" USING btree ("course_id","section_id","position");--> statement-breakpoint
CREATE INDEX "lessons_section_idx" ON "lessons" USING btree ("section_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payment_plans_active_type_uq" ON "payment_plans" USING btree ("course_id","type") WHERE "payment_plans"."status" = 'active' AND "payment_plans"."interval" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "payment_plans_active_interval_uq" ON "payment_plans" USING btree ("course_id","type","interval") WHERE "payment_plans"."status" = 'active' AND "payment_plans"."interval" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "payment_plans_course_idx" ON "payment_plans" USING btree ("course_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sections_course_title_uq" ON "sections" USING btree ("course_id",lower("title"));--> statement-breakpoint
CREATE UNIQUE INDEX "sections_course_external_id_uq" ON "sections" USING btree ("course_id","external_id");--> statement-breakpoint
CREATE INDEX "sections_course_position_idx" ON "sections" USING btree ("course_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "tags_school_name_uq" ON "tags" USING btree ("school_id",lower("name"));