-- Every progress table gets the tenant column so each statement on it is scoped by school.
-- Added nullable, filled from the owning enrollment (progress, attempts) or student (days,
-- achievements), then made NOT NULL.
ALTER TABLE "achievements" ADD COLUMN "school_id" text;--> statement-breakpoint
ALTER TABLE "learning_days" ADD COLUMN "school_id" text;--> statement-breakpoint
ALTER TABLE "lesson_progress" ADD COLUMN "school_id" text;--> statement-breakpoint
ALTER TABLE "quiz_attempts" ADD COLUMN "school_id" text;--> statement-breakpoint
UPDATE "achievements" SET "school_id" = u."school_id" FROM "users" u WHERE u."id" = "achievements"."student_id";--> statement-breakpoint
UPDATE "learning_days" SET "school_id" = u."school_id" FROM "users" u WHERE u."id" = "learning_days"."student_id";--> statement-breakpoint
UPDATE "lesson_progress" SET "school_id" = e."school_id" FROM "enrollments" e WHERE e."id" = "lesson_progress"."enrollment_id";--> statement-breakpoint
UPDATE "quiz_attempts" SET "school_id" = e."school_id" FROM "enrollments" e WHERE e."id" = "quiz_attempts"."enrollment_id";--> statement-breakpoint
ALTER TABLE "achievements" ALTER COLUMN "school_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "learning_days" ALTER COLUMN "school_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "lesson_progress" ALTER COLUMN "school_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "quiz_attempts" ALTER COLUMN "school_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "achievements" ADD CONSTRAINT "achievements_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "learning_days" ADD CONSTRAINT "learning_days_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lesson_progress" ADD CONSTRAINT "lesson_progress_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "quiz_attempts" ADD CONSTRAINT "quiz_attempts_school_id_schools_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."schools"("id") ON DELETE cascade ON UPDATE no action;
